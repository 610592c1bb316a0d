"""The environment's Terraform stack: plan, apply, and the outputs the rest of the system reads.

Terraform runs on the committed ``<env>.tfvars.json`` only when it still matches the environment
file (what was reviewed is what is applied), with the environment's own backend file. Outputs
are read as the typed :class:`StackOutputs` contract and must belong to the environment being
run: outputs of prod passed with ``--env dev`` would deploy dev's settings into prod, so
environment, region, account and project are compared before any AWS call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.infra.render import render, terraform_dir
from orchestrator.infra.terraform import PlanResult, TerraformRunner, backend_file
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs

Progress = Callable[[str], None]


# -- where things are ------------------------------------------------------------------------------
def work_dir(config: EnvironmentConfig) -> Path:
    """The environment's Terraform working data and plan files: ``.mlops/terraform/<env>``
    under the current directory (git-ignored)."""
    return Path.cwd() / ".mlops" / "terraform" / config.name


def terraform_runner(
    config: EnvironmentConfig, module_dir: Path | None = None, progress: Progress | None = None
) -> TerraformRunner:
    return TerraformRunner(terraform_dir(module_dir), work_dir(config), progress=progress)


def require_aws(config: EnvironmentConfig, command: str) -> None:
    if config.backend != "aws":
        raise UserError(
            f"`orchestrator {command}` works on aws environments; {config.name} uses the "
            f"{config.backend} backend (pick --env dev, staging or prod)"
        )


# -- infrastructure ------------------------------------------------------------------------------
@dataclass(frozen=True)
class InfraResult:
    """What ``infra plan`` / ``infra apply`` did."""

    environment: str
    tfvars: Path
    plan_file: Path
    has_changes: bool
    applied: bool
    outputs: StackOutputs | None = None


def _fresh_tfvars(config: EnvironmentConfig, module_dir: Path | None) -> Path:
    """The committed tfvars file, refused when it no longer matches the environment file
    (Terraform must run on what was reviewed; `orchestrator render` refreshes it)."""
    result = render(config, module_dir, write=False)
    if not result.up_to_date:
        raise UserError(
            f"{result.path} is stale: it does not match environments/{config.name}.yaml; run "
            f"`orchestrator render --env {config.name}`, review and commit it, then plan again"
        )
    return result.path


def infra_plan(
    config: EnvironmentConfig,
    module_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    backend_config: Path | None = None,
) -> tuple[TerraformRunner, InfraResult]:
    """``terraform init`` with the environment's backend, then a saved plan."""
    require_aws(config, "infra plan")
    tfvars = _fresh_tfvars(config, module_dir)
    runner = terraform_runner(config, module_dir, progress)
    runner.init(backend_config or backend_file(runner.module_dir, config.name))
    plan = runner.plan(tfvars, plan_name=config.name)
    return runner, InfraResult(config.name, tfvars, plan.plan_file, plan.has_changes, False)


def infra_apply(
    config: EnvironmentConfig,
    module_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    backend_config: Path | None = None,
    check_plan: Callable[[dict[str, Any]], None] | None = None,
    require_approval: bool = False,
) -> InfraResult:
    """Plan, apply exactly that plan, then read the outputs as the typed contract.
    ``check_plan`` sees the plan (``terraform show -json``) first and may refuse it by
    raising, before anything is applied (``run`` passes the offline preflight).
    ``require_approval``: a plan with changes is not applied; :class:`PlanNeedsApproval` says
    how to review it and apply that plan (:func:`infra_apply_saved`)."""
    runner, planned = infra_plan(
        config, module_dir, progress=progress, backend_config=backend_config
    )
    if check_plan is not None:
        check_plan(runner.show_json(planned.plan_file))
    if planned.has_changes and require_approval:
        raise PlanNeedsApproval(
            f"the {config.name} stack has changes (the plan above, saved as "
            f"{planned.plan_file}); {config.name} applies only a reviewed plan: review it "
            f"(`orchestrator infra plan --env {config.name}` shows it again), then run "
            f"`orchestrator run --env {config.name} --approve-plan {planned.plan_file}`"
        )
    if planned.has_changes:
        runner.apply(PlanResult(planned.plan_file, True))
    outputs = runner.stack_outputs()
    check_outputs_match(config, outputs, "terraform output")
    return InfraResult(
        config.name, planned.tfvars, planned.plan_file, planned.has_changes, True, outputs
    )


class PlanNeedsApproval(UserError):
    """A protected environment's stack would change and nobody approved the plan."""


def infra_apply_saved(
    config: EnvironmentConfig,
    plan_file: Path,
    module_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    check_plan: Callable[[dict[str, Any]], None] | None = None,
) -> InfraResult:
    """Apply a saved, reviewed plan exactly (Terraform refuses it when the state has changed
    since it was made: "Saved plan is stale"), then read the outputs."""
    require_aws(config, "run --approve-plan")
    if not plan_file.is_file():
        raise UserError(
            f"--approve-plan {plan_file} does not exist; make one with "
            f"`orchestrator infra plan --env {config.name}` (it prints where it saved it)"
        )
    tfvars = _fresh_tfvars(config, module_dir)
    runner = terraform_runner(config, module_dir, progress)
    runner.init(backend_file(runner.module_dir, config.name))
    if check_plan is not None:
        check_plan(runner.show_json(plan_file))
    runner.apply(PlanResult(plan_file, True))
    outputs = runner.stack_outputs()
    check_outputs_match(config, outputs, "terraform output")
    return InfraResult(config.name, tfvars, plan_file, True, True, outputs)


def infra_outputs(
    config: EnvironmentConfig,
    module_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    backend_config: Path | None = None,
) -> dict[str, Any]:
    """``terraform output -json`` of the environment's state, checked against the contract."""
    require_aws(config, "infra output")
    runner = terraform_runner(config, module_dir, progress)
    runner.init(backend_config or backend_file(runner.module_dir, config.name))
    raw = runner.output_json()
    outputs = StackOutputs.from_terraform_json(raw, source=f"terraform output ({config.name})")
    check_outputs_match(config, outputs, "terraform output")
    return raw


def stack_outputs(
    config: EnvironmentConfig,
    stack_outputs_file: Path | None,
    module_dir: Path | None = None,
    progress: Progress | None = None,
) -> StackOutputs:
    """``--stack-outputs FILE`` when given, else the live ``terraform output -json``."""
    if stack_outputs_file is not None:
        outputs = StackOutputs.from_file(stack_outputs_file)
        check_outputs_match(config, outputs, str(stack_outputs_file))
        return outputs
    raw = infra_outputs(config, module_dir, progress=progress)
    return StackOutputs.from_terraform_json(raw)


def check_outputs_match(config: EnvironmentConfig, outputs: StackOutputs, source: str) -> None:
    """Refuse outputs of another environment, region or account."""
    mismatches = [
        f"{what} {theirs!r} (the environment file says {ours!r})"
        for what, theirs, ours in (
            ("environment", outputs.environment, config.name),
            ("region", outputs.region, config.region),
            ("account_id", outputs.account_id, config.account_id),
            ("project", outputs.project, config.project),
        )
        if theirs != ours
    ]
    if mismatches:
        raise UserError(
            f"the stack outputs from {source} belong to another stack: "
            + "; ".join(mismatches)
            + f". Pass the outputs of {config.name}'s stack, or fix environments/"
            f"{config.name}.yaml"
        )
