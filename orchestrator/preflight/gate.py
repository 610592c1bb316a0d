"""The offline preflight as a gate in front of the commands that change AWS.

``run`` (which applies the stack first) checks the plan before applying it; ``deploy`` and a
``run`` on an earlier apply's outputs check what needs no plan (names, tags, the definition,
instance-store incompatibilities). Findings stop the command with exit 1 before anything
changes, naming each one; ``orchestrator preflight`` prints the same report.
"""

from __future__ import annotations

from typing import Any

from orchestrator.errors import OperationFailed
from orchestrator.preflight.gather import gather
from orchestrator.preflight.plan import StackPlan
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import EnvironmentConfig

SHOWN = 10


class PreflightFailed(OperationFailed):
    """The preflight found what AWS would refuse; nothing was changed."""


def preflight_gate(config: EnvironmentConfig, plan: dict[str, Any] | None = None) -> None:
    """Raise :class:`PreflightFailed` when the offline preflight has findings."""
    stack_plan = StackPlan(plan) if plan is not None else None
    report = run_preflight(gather(config, plan=stack_plan, offline=True), offline=True)
    if report.passed:
        return
    lines = [f"- {f.rule} ({f.resource}): {f.problem}; fix: {f.fix}" for f in report.findings]
    more = len(lines) - SHOWN
    raise PreflightFailed(
        f"the preflight found {len(lines)} problem(s) AWS would refuse; nothing was changed:\n"
        + "\n".join(lines[:SHOWN])
        + (f"\n... and {more} more" if more > 0 else "")
        + f"\n(`orchestrator preflight --env {config.name}` shows the full report)"
    )
