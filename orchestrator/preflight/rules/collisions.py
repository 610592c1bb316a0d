"""Resources that collide with what AWS creates on its own, and tags that filters rely on.

- SageMaker creates the log groups ``/aws/sagemaker/ProcessingJobs``, ``TrainingJobs``,
  ``TransformJobs`` (and others) in the account the first time a job logs (developer guide,
  "Log Amazon SageMaker AI events with Amazon CloudWatch"). A stack that creates one fails the
  apply with ResourceAlreadyExistsException wherever a job already ran, and two stacks in one
  account cannot both own it.
- A budget's cost filter on a tag counts only costs of resources carrying exactly that tag
  (Budgets API reference, CostFilters / TagKeyValue ``user:<key>$<value>``, and FilterExpression
  ``Tags``); the SageMaker jobs, models and endpoints the orchestrator creates carry ``project``
  and ``environment``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from orchestrator.preflight.findings import Finding
from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.registry import rule

ACCOUNT_WIDE_LOG_GROUPS = frozenset(
    f"/aws/sagemaker/{name}"
    for name in (
        "ProcessingJobs", "TrainingJobs", "TransformJobs", "NotebookInstances", "LabelingJobs",
        "CompilationJobs", "InferenceRecommendationsJobs", "studio",
    )
)  # fmt: skip


@rule("account-wide-log-groups", "the stack creates no log group SageMaker owns", "plan")
def check_log_groups(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    for group in inputs.plan.of_type("aws_cloudwatch_log_group"):
        name = str(group.values.get("name", ""))
        if name in ACCOUNT_WIDE_LOG_GROUPS:
            yield Finding(
                "account-wide-log-groups",
                group.address,
                f"SageMaker creates {name} for every job in the account; creating it here "
                "fails (ResourceAlreadyExistsException) where a job already ran, and a second "
                "stack in the account cannot own it",
                "do not create it; set its retention once per account (put-retention-policy)",
            )


def orchestrator_tags(inputs: PreflightInputs) -> dict[str, str]:
    """The tags the orchestrator puts on the SageMaker resources it creates."""
    return {"project": inputs.environment.project, "environment": inputs.environment.name}


@rule("budget-tag-filter", "budget tag filters match the tags actually set", "plan")
def check_budget_tags(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    tags = orchestrator_tags(inputs)
    for budget in inputs.plan.of_type("aws_budgets_budget"):
        for key, wanted in _budget_tags(budget.values):
            if tags.get(key) != wanted:
                yield Finding(
                    "budget-tag-filter",
                    budget.address,
                    f"the budget counts only costs tagged {key}={wanted!r}, but the "
                    f"orchestrator tags SageMaker resources {json.dumps(tags)}: the "
                    "training and serving costs never reach the budget",
                    "filter on a tag the orchestrator sets (project or environment) with "
                    "its exact value, and activate it as a cost allocation tag",
                )


def _budget_tags(values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(tag key, value) pairs a budget filters on: CostFilters' TagKeyValue entries and the
    Tags of its FilterExpression (at the top or inside And/Or clauses)."""
    for entry in values.get("cost_filter") or []:
        if entry.get("name") == "TagKeyValue":
            for value in entry.get("values") or []:
                key, _, wanted = str(value).removeprefix("user:").partition("$")
                yield key, wanted
    for expression in values.get("filter_expression") or []:
        clauses = [expression, *(expression.get("and") or []), *(expression.get("or") or [])]
        for clause in clauses:
            for tag in clause.get("tags") or []:
                for value in tag.get("values") or []:
                    yield str(tag.get("key", "")), str(value)


@rule("provider-allowed-accounts", "the AWS provider refuses every account but the environment's",
      "plan")  # fmt: skip
def check_allowed_accounts(inputs: PreflightInputs) -> Iterator[Finding]:
    """Without ``allowed_account_ids`` an apply with the wrong profile builds the stack in
    another account (Terraform AWS provider, argument reference)."""
    assert inputs.plan is not None
    provider = inputs.plan.raw.get("configuration", {}).get("provider_config", {}).get("aws", {})
    configured = "allowed_account_ids" in provider.get("expressions", {})
    value = inputs.plan.raw.get("variables", {}).get("account_id", {}).get("value")
    wanted = inputs.environment.account_id
    if not configured or value != wanted:
        yield Finding(
            "provider-allowed-accounts",
            "provider.aws",
            f"the provider's allowed_account_ids is {'set' if configured else 'not set'} and "
            f"account_id is {value!r}, not the environment's {wanted!r}: a plan with another "
            "account's credentials would build the stack there",
            "set allowed_account_ids = [var.account_id] in the provider block and render the "
            "tfvars with `orchestrator render` (it writes account_id)",
        )
