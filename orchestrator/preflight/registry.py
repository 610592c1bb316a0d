"""The preflight rules, each a function registered under a name with what it needs.

A rule takes the :class:`~orchestrator.preflight.inputs.PreflightInputs` and yields
:class:`~orchestrator.preflight.findings.Finding` s. ``needs`` says which inputs it reads, so a
run without a plan (``deploy``) runs only the rules it can, and ``online`` rules are left out
by ``--offline``. Every rule has a test that feeds it a violation (tests/preflight/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from orchestrator.preflight.findings import Finding

if TYPE_CHECKING:
    from orchestrator.preflight.inputs import PreflightInputs

Need = Literal["plan", "definition", "calls", "online"]
Check = Callable[["PreflightInputs"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    needs: frozenset[Need]
    check: Check


RULES: dict[str, Rule] = {}


def rule(name: str, summary: str, *needs: Need) -> Callable[[Check], Check]:
    """Register ``check`` as the rule ``name``."""

    def register(check: Check) -> Check:
        if name in RULES:
            raise ValueError(f"preflight rule {name!r} is registered twice")
        RULES[name] = Rule(name, summary, frozenset(needs), check)
        return check

    return register
