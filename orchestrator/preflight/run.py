"""Run the preflight: every registered rule whose inputs are available, findings sorted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orchestrator.preflight.rules  # noqa: F401  (registers the rules)
from orchestrator.preflight.findings import Finding
from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.registry import RULES, Rule


@dataclass
class Report:
    environment: str
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # rule -> why

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
            "rules_run": self.ran,
            "rules_skipped": self.skipped,
        }


def _missing_input(rule: Rule, inputs: PreflightInputs, offline: bool) -> str | None:
    if "online" in rule.needs and offline:
        return "--offline"
    if "plan" in rule.needs and inputs.plan is None:
        return "no Terraform plan"
    if "definition" in rule.needs and inputs.definition is None:
        return "no pipeline definition"
    if "online" in rule.needs and inputs.session is None:
        return "no AWS session"
    return None


def run_preflight(
    inputs: PreflightInputs, *, offline: bool = True, only: frozenset[str] | None = None
) -> Report:
    report = Report(inputs.environment.name)
    for name, rule in sorted(RULES.items()):
        if only is not None and name not in only:
            continue
        why = _missing_input(rule, inputs, offline)
        if why:
            report.skipped[name] = why
            continue
        report.ran.append(name)
        report.findings.extend(rule.check(inputs))
    report.findings.sort()
    return report
