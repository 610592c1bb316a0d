"""Gather the preflight's inputs for an environment: the plan (a ``--plan`` file, or a fresh
``terraform plan`` shown as JSON), the definition the orchestrator would upsert, the recorded
AWS calls, and, online, a boto3 session."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.errors import UserError
from orchestrator.infra.stack import infra_plan
from orchestrator.preflight.inputs import PreflightInputs, offline_definition, recorded_calls
from orchestrator.preflight.plan import StackPlan
from orchestrator.settings.environment import EnvironmentConfig


def read_plan(path: Path) -> StackPlan:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise UserError(f"cannot read the plan {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path} is not JSON ({exc.msg}, line {exc.lineno}); pass what "
            "`terraform show -json <planfile>` prints"
        ) from None
    if not isinstance(data, dict) or "planned_values" not in data:
        raise UserError(
            f"{path} is not a Terraform plan in JSON (no planned_values); pass what "
            "`terraform show -json <planfile>` prints"
        )
    return StackPlan(data)


def fresh_plan(config: EnvironmentConfig, module_dir: Path | None) -> StackPlan:
    runner, planned = infra_plan(config, module_dir)
    return StackPlan(runner.show_json(planned.plan_file))


def gather(
    config: EnvironmentConfig,
    *,
    plan: StackPlan | None,
    offline: bool,
) -> PreflightInputs:
    session = None
    if not offline:
        import boto3

        session = boto3.Session(region_name=config.region)
    return PreflightInputs(
        environment=config,
        plan=plan,
        definition=offline_definition(config, plan),
        calls=recorded_calls(),
        session=session,
    )
