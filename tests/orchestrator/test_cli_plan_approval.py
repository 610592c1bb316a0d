"""`orchestrator run` never applies a staging or prod plan nobody reviewed: it plans, shows the
plan and stops (exit 2) unless given the saved plan of an earlier `infra plan`
(`--approve-plan FILE`); `--auto-approve` is refused for them. Against the provider-free
stand-in stack (real Terraform core) and moto, as test_cli_aws's chain test."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from ecr_images import create_repository, put_image
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    FAST,
    REGION,
    credentials,
    envdir,
    moto,
    outputs_file,
)
from test_terraform_runner import NO_TERRAFORM_PATH, write_stack

from orchestrator.cli import main
from orchestrator.images.source import source_tag


@pytest.fixture
def staging(envdir: Path) -> Path:  # noqa: F811
    """environments/staging.yaml in moto's account and region, reading dev's dataset."""
    data = yaml.safe_load((envdir / "dev.yaml").read_text())
    shipped = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "environments" / "staging.yaml").read_text()
    )
    shipped.update(region=REGION, account_id=ACCOUNT, dataset=data["dataset"])
    shipped["terraform"]["network"]["availability_zones"] = [f"{REGION}a", f"{REGION}b"]
    (envdir / "staging.yaml").write_text(yaml.safe_dump(shipped, sort_keys=False))
    return envdir


def cli(envdir: Path, *args: str) -> int:  # noqa: F811
    return main([*args, "--env", "staging", "--environments-dir", str(envdir)])


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in stack, with a staging backend file keeping state where dev's does."""
    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    folder = write_stack(tmp_path / "stack", account=ACCOUNT)
    backends = folder / "backends"
    (backends / "staging.s3.tfbackend").write_text((backends / "dev.s3.tfbackend").read_text())
    return folder


def state(stack: Path) -> Path:
    return stack.parent / "state" / "dev.tfstate"


def test_staging_stops_at_an_unreviewed_plan_and_names_the_approval(
    moto: dict[str, Any],  # noqa: F811
    staging: Path,
    stack: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(staging, "render") == 0
    assert cli(staging, "run", "--terraform-dir", str(stack), "--skip-preflight", *FAST) == 2
    err = capsys.readouterr().err
    assert "applies only a reviewed plan" in err and "--approve-plan" in err
    assert not state(stack).exists()
    assert moto["sagemaker"].list_pipelines()["PipelineSummaries"] == []


def test_staging_applies_the_reviewed_plan_and_runs(
    moto: dict[str, Any],  # noqa: F811
    staging: Path,
    stack: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_repository(moto["ecr"], "mlops")
    put_image(moto["ecr"], "mlops", source_tag())
    assert cli(staging, "render") == 0
    assert cli(staging, "infra", "plan", "--terraform-dir", str(stack)) == 0
    plan = Path.cwd() / ".mlops" / "terraform" / "staging" / "staging.tfplan"
    assert plan.is_file()
    capsys.readouterr()
    args = ["run", "--terraform-dir", str(stack), "--approve-plan", str(plan), "--skip-preflight"]
    code = cli(staging, *args, *FAST, "--output", "json")
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert state(stack).exists()
    assert json.loads(printed.out)["execution"]["status"] == "Succeeded"


def test_auto_approve_is_refused_for_staging(
    moto: dict[str, Any],  # noqa: F811
    staging: Path,
    stack: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(staging, "render") == 0
    assert cli(staging, "run", "--terraform-dir", str(stack), "--auto-approve") == 2
    assert "--auto-approve is refused for staging" in capsys.readouterr().err


def test_approve_plan_with_stack_outputs_is_refused(
    moto: dict[str, Any],  # noqa: F811
    staging: Path,
    outputs_file: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = tmp_path / "x.tfplan"
    plan.write_text("")
    args = ["run", "--stack-outputs", str(outputs_file), "--approve-plan", str(plan)]
    assert main([*args, "--env", "dev", "--environments-dir", str(staging)]) == 2
    assert "nothing to apply" in capsys.readouterr().err
