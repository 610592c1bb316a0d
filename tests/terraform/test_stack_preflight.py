"""``make test`` runs the offline preflight on the real stack for dev, staging and prod: the
plan Terraform makes from each environment's tfvars (applied against the offline provider, so
policy documents are rendered), the definition the orchestrator would upsert, and the AWS calls
the test suite recorded. Zero findings, or the test names them."""

from __future__ import annotations

import pytest

from orchestrator.preflight.gather import gather
from orchestrator.preflight.plan import StackPlan
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import load_environment


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_stack_passes_the_offline_preflight(plans: dict, environment: str) -> None:
    config = load_environment(environment)
    plan = StackPlan(plans[environment]["applied"])
    report = run_preflight(gather(config, plan=plan, offline=True))  # what the CLI runs
    assert set(report.skipped.values()) == {"--offline"}, report.skipped  # only online rules
    assert [f.to_dict() for f in report.findings] == []
