"""The offline preflight guards the commands that change AWS: deploy stops, with exit 1 and
before the endpoint changes, on a setting SageMaker would refuse; --skip-preflight is the
named way past it, and local environments, which have no stack, refuse the flag."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import FAST, cli, credentials, envdir, moto, outputs_file, register  # noqa: F401

from orchestrator.cli import main


def test_deploy_stops_at_the_preflight_before_the_endpoint_changes(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = envdir / "dev.yaml"
    data = yaml.safe_load(path.read_text())
    data["endpoint"]["instance_type"] = "ml.m5d.large"  # instance storage: no volume KMS key
    path.write_text(yaml.safe_dump(data))
    register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", "--stack-outputs", str(outputs_file), *FAST) == 1
    err = capsys.readouterr().err
    assert "volume-kms-on-local-storage" in err and "nothing was changed" in err
    assert moto["sagemaker"].list_endpoints()["Endpoints"] == []


def test_local_refuses_skip_preflight_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--env", "local", "--skip-preflight"]) == 2
    assert "--skip-preflight apply to a Terraform stack" in capsys.readouterr().err
