"""Whether a set of identity policy documents allows an action, at the level the preflight
can know before apply: actions (wildcards as IAM matches them, case-insensitively), Allow
minus unconditional Deny. Resources and conditions are not evaluated: the ARNs of new
resources are unknown before apply, so "allowed" here means "allowed on some resource", which
is what an action missing from every statement can never be."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from orchestrator.preflight.plan import PolicyDocument


def listed(statement: dict[str, Any], key: str) -> list[str]:
    """A statement's ``Action``/``Resource``/... as a list (IAM allows one string or a list)."""
    value = statement.get(key, [])
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _matches(patterns: Iterable[str], action: str) -> bool:
    lower = action.lower()
    return any(fnmatch.fnmatchcase(lower, pattern.lower()) for pattern in patterns)


def statement_allows(statement: dict[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not _matches(listed(statement, "NotAction"), action)
    return _matches(listed(statement, "Action"), action)


def _denies_everywhere(statement: dict[str, Any], action: str) -> bool:
    return (
        statement.get("Effect") == "Deny"
        and "Condition" not in statement
        and listed(statement, "Resource") == ["*"]
        and _matches(listed(statement, "Action"), action)
    )


def allows(documents: Iterable[PolicyDocument], action: str) -> bool:
    statements = [s for d in documents for s in d.statements()]
    if any(_denies_everywhere(s, action) for s in statements):
        return False
    return any(statement_allows(s, action) for s in statements)
