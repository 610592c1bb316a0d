"""IAM policy documents against AWS's quotas and its IAM reference.

Quotas (IAM user guide, "IAM and AWS STS quotas", character limits): a customer-managed policy
at most 6,144 characters, a role's inline policies together at most 10,240, a role trust policy
at most 2,048 (the default; raisable to 4,096). IAM does not count white space.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from orchestrator.preflight.findings import Finding
from orchestrator.preflight.iam_match import listed
from orchestrator.preflight.iam_reference import SOURCE, condition_key_known, expand
from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.plan import PolicyDocument
from orchestrator.preflight.registry import rule

MANAGED_LIMIT = 6144
INLINE_PER_ROLE_LIMIT = 10240
TRUST_LIMIT = 2048


def policy_size(text: str) -> int:
    """Characters as IAM counts them: white space excluded."""
    return sum(1 for character in text if not character.isspace())


@rule("iam-policy-size", "IAM policy documents within AWS's character quotas", "plan")
def check_sizes(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    inline: dict[str, list[PolicyDocument]] = defaultdict(list)
    for document in inputs.plan.policies():
        size = policy_size(document.text)
        if document.kind == "managed" and size > MANAGED_LIMIT:
            fix = "split it into policies by job, attached to the same roles"
            yield _too_big(document.address, "managed policy", size, MANAGED_LIMIT, fix)
        elif document.kind == "trust" and size > TRUST_LIMIT:
            fix = "trust fewer principals or ask AWS to raise the quota (4,096)"
            yield _too_big(document.address, "role trust policy", size, TRUST_LIMIT, fix)
        elif document.kind == "inline":
            inline[document.owner or document.address].append(document)
    for role, documents in inline.items():
        size = sum(policy_size(d.text) for d in documents)
        if size > INLINE_PER_ROLE_LIMIT:
            fix = "move statements into customer-managed policies"
            yield _too_big(
                role, "role's inline policies together", size, INLINE_PER_ROLE_LIMIT, fix
            )


def _too_big(resource: str, what: str, size: int, limit: int, fix: str) -> Finding:
    return Finding(
        "iam-policy-size",
        resource,
        f"the {what} has {size} characters without white space; IAM refuses more than "
        f"{limit} (LimitExceeded) and the apply fails",
        fix,
    )


@rule("iam-unknown-action", "every action in every policy exists in AWS's IAM reference", "plan")
def check_actions(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    for document in inputs.plan.policies():
        for statement in document.statements():
            for action in listed(statement, "Action") + listed(statement, "NotAction"):
                if action == "*" or action.endswith(":*") or expand(action):
                    continue
                yield Finding(
                    "iam-unknown-action",
                    document.address,
                    f"{action} names no action of {SOURCE}: IAM accepts the policy but the "
                    "statement grants nothing, so the call it was meant for is denied",
                    f"fix the spelling of {action}, or confirm in the Service Authorization "
                    "Reference that AWS added it after the reference's release",
                )


@rule("iam-unknown-condition-key", "every condition key is global or a service's", "plan")
def check_condition_keys(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    for document in inputs.plan.policies():
        for statement in document.statements():
            for operator in (statement.get("Condition") or {}).values():
                for key in operator if isinstance(operator, dict) else {}:
                    if not condition_key_known(key):
                        yield Finding(
                            "iam-unknown-condition-key",
                            document.address,
                            f"the condition key {key} is not a global key and no service "
                            f"sends it ({SOURCE}): the condition never matches",
                            f"use a key the service defines for the action, or remove {key}",
                        )


def _principals(statement: dict[str, Any]) -> list[str]:
    """Every principal a statement names, in order (``"*"`` and each type's values)."""
    named: list[str] = []
    for key in ("Principal", "NotPrincipal"):
        value = statement.get(key)
        if isinstance(value, str):
            named.append(value)
        elif isinstance(value, dict):
            for kind, entries in value.items():
                items = entries if isinstance(entries, list) else [entries]
                named.extend(f"{kind}:{item}" for item in items)
    return named


@rule("iam-duplicate-principal", "no policy statement names a principal twice", "plan")
def check_duplicate_principals(inputs: PreflightInputs) -> Iterator[Finding]:
    """KMS, S3 and SageMaker resource policies refuse a statement listing the same principal
    twice ("Invalid policy provided: Duplicate principal", MalformedPolicy), which is what
    happens when dev, staging and prod share one account and their principals coincide
    (awslabs/aiops-modules #397, #402)."""
    assert inputs.plan is not None
    for document in inputs.plan.policies():
        for index, statement in enumerate(document.statements()):
            named = _principals(statement)
            twice = sorted({p for p in named if named.count(p) > 1})
            if twice:
                label = statement.get("Sid") or f"#{index + 1}"
                yield Finding(
                    "iam-duplicate-principal",
                    document.address,
                    f"statement {label} names {', '.join(twice)} more than once; AWS refuses "
                    "the policy (Duplicate principal) and the apply fails",
                    "deduplicate the principal list (Terraform distinct()), e.g. when "
                    "environments share one account and their principals coincide",
                )
