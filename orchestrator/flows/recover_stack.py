"""``orchestrator recover``'s terraform step: region R's stack through the existing Terraform
runner, kept apart from the primary region's.

Region R gets its own working folder (``.mlops/terraform/<env>-<region>/``: Terraform's data,
the tfvars rendered for R, the plan, and the outputs file later steps and resume commands
read) and its own backend file, ``terraform/backends/<env>.<region>.s3.tfbackend``: a state key
(and, when the primary region is gone, a state bucket) of region R. A backend file naming the
primary's bucket and key is refused (exit 2): applying R's stack onto the primary's state would
plan to move every resource of the primary. The committed ``<env>.tfvars.json`` stays the
primary's; R's tfvars are rendered from the environment with the region overridden.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from orchestrator.backends.base import Progress
from orchestrator.errors import UserError
from orchestrator.infra.render import render_text, terraform_dir
from orchestrator.infra.stack import PlanNeedsApproval, check_outputs_match
from orchestrator.infra.terraform import PlanResult, TerraformRunner, backend_file
from orchestrator.settings.environment import PROTECTED_ENVIRONMENTS, EnvironmentConfig

_SETTING = re.compile(r'^\s*(bucket|key)\s*=\s*"([^"]*)"', re.MULTILINE)


def work_dir(config: EnvironmentConfig) -> Path:
    return Path.cwd() / ".mlops" / "terraform" / f"{config.name}-{config.region}"


def backend_name(config: EnvironmentConfig) -> str:
    return f"{config.name}.{config.region}"


def commands(config: EnvironmentConfig, module_dir: Path | None, plan: Path | None) -> list[str]:
    """What the step runs, as a person would type it (for --dry-run)."""
    work = work_dir(config)
    folder = terraform_dir(module_dir)
    return [
        f"render {config.name} for {config.region} -> {work / f'{config.name}.tfvars.json'}",
        f"TF_DATA_DIR={work / 'data'} terraform -chdir={folder} init -reconfigure "
        f"-backend-config=backends/{backend_name(config)}.s3.tfbackend",
        f"terraform plan -var-file={work / f'{config.name}.tfvars.json'} -out=<plan>"
        if plan is None else f"terraform apply {plan} (the reviewed plan)",
        "terraform apply <plan>  (staging/prod: only with --approve-plan)" if plan is None
        else "terraform output -json",
    ]  # fmt: skip


def check_backend(config: EnvironmentConfig, primary_region: str, module_dir: Path) -> Path:
    """R's backend file, refused when it is the primary's state."""
    path = module_dir / "backends" / f"{backend_name(config)}.s3.tfbackend"
    if not path.is_file():
        raise UserError(
            f"there is no backend file {path} for {config.name} in {config.region}; create it "
            f"with a state bucket in {config.region} (`orchestrator bootstrap --env {config.name} "
            f"--set region={config.region}` in the recovery account or project) and the key "
            f"<project>/{config.name}/{config.region}/terraform.tfstate (docs/dr.md)"
        )
    primary = module_dir / "backends" / f"{config.name}.s3.tfbackend"
    ours = dict(_SETTING.findall(path.read_text()))
    theirs = dict(_SETTING.findall(primary.read_text())) if primary.is_file() else {}
    if ours and ours == {k: v for k, v in theirs.items() if k in ours}:
        raise UserError(
            f"{path} names the same state (bucket {ours.get('bucket')}, key {ours.get('key')}) as "
            f"{primary.name}, {config.name}'s state in {primary_region}; give {config.region} its "
            f'own key, e.g. key = "<project>/{config.name}/{config.region}/terraform.tfstate"'
        )
    return backend_file(module_dir, backend_name(config))


def apply(
    config: EnvironmentConfig, primary_region: str, module_dir: Path | None,
    approved_plan: Path | None, preflight: bool, progress: Progress,
) -> Path:  # fmt: skip
    """Render, plan (or take the reviewed plan), check, apply; R's outputs file."""
    from orchestrator.preflight.gate import preflight_gate

    folder = terraform_dir(module_dir)
    backend = check_backend(config, primary_region, folder)
    work = work_dir(config)
    work.mkdir(parents=True, exist_ok=True)
    tfvars = work / f"{config.name}.tfvars.json"
    tfvars.write_text(render_text(config, module_dir))
    runner = TerraformRunner(folder, work, progress=progress)
    runner.init(backend)
    plan = PlanResult(approved_plan, True) if approved_plan else runner.plan(
        tfvars, plan_name=f"{config.name}-{config.region}")  # fmt: skip
    if preflight:
        preflight_gate(config, runner.show_json(plan.plan_file))
    if plan.has_changes and approved_plan is None and config.name in PROTECTED_ENVIRONMENTS:
        raise PlanNeedsApproval(
            f"{config.name}'s stack in {config.region} would change (the plan above, saved as "
            f"{plan.plan_file}); {config.name} applies only a reviewed plan: review it, then run "
            f"recover again with --approve-plan {plan.plan_file}"
        )
    if plan.has_changes:
        runner.apply(plan)
    outputs = runner.stack_outputs()
    check_outputs_match(config, outputs, "terraform output")
    written = work / "outputs.json"
    written.write_text(json.dumps(outputs.to_terraform_json(), indent=2) + "\n")
    return written
