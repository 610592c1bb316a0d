"""IAM's size quotas, measured on the policies Terraform renders.

IAM counts characters without whitespace (IAM User Guide, "IAM and AWS STS quotas"): a managed
policy holds at most 6,144, the inline policies of one role together 10,240, a role's trust
policy 2,048 (the default quota). An apply that exceeds one fails with LimitExceeded, after
part of the stack exists, so the plan is measured instead.

The offline provider fills computed values with placeholders (`arn:aws:stub:...`, `stub-<n>`)
that are shorter than real ARNs and IDs; each is counted at a worst-case length here, so a
policy that fits the measurement fits once real ARNs (KMS key ARNs are 75-80 characters) are in.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MANAGED_POLICY_LIMIT = 6144
ROLE_INLINE_LIMIT = 10240
TRUST_POLICY_LIMIT = 2048
# Longer than any real ARN or ID the placeholders stand for in this stack.
STUB_ARN = re.compile(r"arn:aws:stub:[^\"\\]*")
STUB_ID = re.compile(r"stub-[0-9]+")
WORST_ARN_LENGTH = 120
WORST_ID_LENGTH = 40


def policy_size(document: str) -> int:
    """Characters IAM counts: no whitespace, placeholders at their worst-case length."""
    text = STUB_ARN.sub("a" * WORST_ARN_LENGTH, document)
    text = STUB_ID.sub("i" * WORST_ID_LENGTH, text)
    return len(re.sub(r"\s", "", text))


@dataclass(frozen=True)
class Measured:
    """One quota-bound item: what it is, its size and its limit."""

    kind: str
    name: str
    size: int
    limit: int

    @property
    def fits(self) -> bool:
        return self.size <= self.limit


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def _role_key(resource: dict[str, Any]) -> str:
    """The role an inline policy belongs to: its `role` value when known; the offline provider
    answers a placeholder for every role, and then each policy resource stands for its role
    (in this stack each role has exactly one aws_iam_role_policy)."""
    role = str(resource["values"].get("role"))
    return resource["address"] if STUB_ID.fullmatch(role) or role.startswith("stub") else role


def measure(module: dict[str, Any]) -> list[Measured]:
    """Every managed policy, every role's inline policies (summed) and every trust policy."""
    found: list[Measured] = []
    inline: dict[str, int] = defaultdict(int)
    for resource in _resources(module):
        values = resource.get("values") or {}
        if resource.get("mode") != "managed":
            continue
        if resource["type"] == "aws_iam_policy" and isinstance(values.get("policy"), str):
            size = policy_size(values["policy"])
            found.append(Measured("managed", resource["address"], size, MANAGED_POLICY_LIMIT))
        elif resource["type"] == "aws_iam_role_policy" and isinstance(values.get("policy"), str):
            inline[_role_key(resource)] += policy_size(values["policy"])
        elif resource["type"] == "aws_iam_role" and isinstance(
            values.get("assume_role_policy"), str
        ):
            size = policy_size(values["assume_role_policy"])
            found.append(Measured("trust", resource["address"], size, TRUST_POLICY_LIMIT))
    found.extend(Measured("inline", role, size, ROLE_INLINE_LIMIT) for role, size in inline.items())
    return found


def too_large(module: dict[str, Any]) -> list[str]:
    """Human-readable quota violations (empty when everything fits)."""
    return [
        f"{item.kind} policy {item.name}: {item.size} characters > {item.limit}"
        for item in measure(module)
        if not item.fits
    ]
