"""Collision rules: log groups SageMaker owns, budget filters on tags nobody sets."""

from __future__ import annotations

from plan_builder import PlanBuilder

from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import load_environment

DEV = load_environment("dev")


def findings(plan: PlanBuilder, rule: str) -> list[str]:
    report = run_preflight(PreflightInputs(DEV, plan=plan.build()), only=frozenset({rule}))
    assert report.ran == [rule]
    return [f.problem for f in report.findings]


def test_an_account_wide_sagemaker_log_group_is_reported() -> None:
    plan = PlanBuilder().resource(
        "monitoring", "aws_cloudwatch_log_group", "jobs", {"name": "/aws/sagemaker/TrainingJobs"}
    )
    plan.resource(
        "monitoring", "aws_cloudwatch_log_group", "mine", {"name": "/mlops/dev/orchestrator"}
    )
    found = findings(plan, "account-wide-log-groups")
    assert len(found) == 1 and "/aws/sagemaker/TrainingJobs" in found[0]


def budget(*values: str) -> PlanBuilder:
    cost_filter = [{"name": "TagKeyValue", "values": list(values)}]
    return PlanBuilder().resource(
        "monitoring", "aws_budgets_budget", "m", {"cost_filter": cost_filter}
    )


def test_a_budget_filtering_on_a_tag_the_orchestrator_does_not_set_is_reported() -> None:
    found = findings(budget("user:CostCenter$ml-dev"), "budget-tag-filter")
    assert found and "CostCenter" in found[0]
    assert findings(budget(f"user:project${DEV.project}"), "budget-tag-filter") == []
    assert findings(budget("user:project$someone-else"), "budget-tag-filter")


def expression_budget(project: str, environment: str) -> PlanBuilder:
    """The stack's form: And(project tag, environment tag) in a FilterExpression."""
    clauses = [
        {"tags": [{"key": "project", "values": [project]}]},
        {"tags": [{"key": "environment", "values": [environment]}]},
    ]
    return PlanBuilder().resource(
        "monitoring", "aws_budgets_budget", "m", {"filter_expression": [{"and": clauses}]}
    )


def test_a_filter_expression_on_another_environments_tag_is_reported() -> None:
    assert findings(expression_budget(DEV.project, "dev"), "budget-tag-filter") == []
    found = findings(expression_budget(DEV.project, "prod"), "budget-tag-filter")
    assert len(found) == 1 and "environment='prod'" in found[0]


def test_a_provider_that_takes_any_account_is_reported() -> None:
    assert findings(PlanBuilder(), "provider-allowed-accounts") == []
    assert findings(PlanBuilder(allowed=False), "provider-allowed-accounts")
    found = findings(PlanBuilder(account_id="999999999999"), "provider-allowed-accounts")
    assert found and "'999999999999'" in found[0]
