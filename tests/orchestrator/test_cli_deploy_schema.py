"""A deploy never changes, unasked, the request schema an endpoint's clients depend on (issue
16): against moto, a version of another dataset (another serving signature) is refused onto an
endpoint serving the environment's dataset, exit 2 naming both and ``--replace-schema``; with
the flag it is served; a retrained version with the same signature needs no flag."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ml_containers.data.bundled import load_bundled_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    FAST,
    IMAGE,
    PREFIX,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
)

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.data.identity import model_group_name, serving_signature


def register(sagemaker: Any, dataset: str, number: int) -> str:
    """An Approved version of ``dataset`` in its own group, with the lineage the pipeline's
    Register step records (schema name and serving signature)."""
    registry = AwsModelRegistry(sagemaker)
    group = model_group_name(f"{PREFIX}-models", dataset)
    registry.ensure_group(group)
    return registry.register(
        group,
        model_data_url=f"s3://{PREFIX}-artifacts-{ACCOUNT}/models/{dataset}/{number}/model.tar.gz",
        image_uri=IMAGE,
        approval_status="Approved",
        metadata={
            "schema_name": dataset,
            "serving_signature": serving_signature(load_bundled_schema(dataset)),
        },
    ).arn


Stack = tuple[dict[str, Any], Path, Path]


@pytest.fixture
def stack(moto: dict[str, Any], envdir: Path, outputs_file: Path) -> Stack:  # noqa: F811
    """moto with the stack's bucket, schema and alarms; the environments; the stack outputs."""
    return moto, envdir, outputs_file


def serving_config(aws: dict[str, Any]) -> str:
    endpoint = aws["sagemaker"].describe_endpoint(EndpointName=f"{PREFIX}-endpoint")
    return str(endpoint["EndpointConfigName"])


def test_deploy_refuses_a_version_with_another_request_schema_without_replace_schema(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, outputs_path = stack
    outputs = ["--stack-outputs", str(outputs_path), *FAST]
    register(aws["sagemaker"], "breast_cancer", 1)
    assert cli(environments, "deploy", *outputs) == 0  # the environment's dataset, latest-approved
    before = serving_config(aws)
    capsys.readouterr()
    register(aws["sagemaker"], "wine", 1)

    assert cli(environments, "deploy", *outputs, "--dataset", "wine") == 2
    err = capsys.readouterr().err
    assert f"endpoint {PREFIX}-endpoint serves {PREFIX}-models-breast-cancer v1" in err
    assert "dataset breast_cancer" in err and f"{PREFIX}-models-wine v1 (dataset wine" in err
    assert "--replace-schema" in err and "Traceback" not in err
    assert serving_config(aws) == before  # refused before anything changed


def test_replace_schema_serves_the_other_schema_and_says_so(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, outputs_path = stack
    outputs = ["--stack-outputs", str(outputs_path), *FAST]
    register(aws["sagemaker"], "breast_cancer", 1)
    assert cli(environments, "deploy", *outputs) == 0
    capsys.readouterr()
    before = serving_config(aws)
    wine = register(aws["sagemaker"], "wine", 1)

    assert cli(environments, "deploy", *outputs, "--model-package", wine, "--replace-schema") == 0
    captured = capsys.readouterr()
    assert f"--replace-schema: {PREFIX}-models-wine v1 (dataset wine" in captured.err
    assert f"model            {PREFIX}-models-wine v1" in captured.out
    assert serving_config(aws) != before


def test_a_retrained_version_with_the_same_schema_deploys_without_the_flag(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, outputs_path = stack
    outputs = ["--stack-outputs", str(outputs_path), *FAST]
    register(aws["sagemaker"], "breast_cancer", 1)
    assert cli(environments, "deploy", *outputs) == 0
    register(aws["sagemaker"], "breast_cancer", 2)

    assert cli(environments, "deploy", *outputs) == 0
    assert "replace" not in capsys.readouterr().err
    assert serving_config(aws).startswith(f"{PREFIX}-endpoint-v2-")


def test_rollback_to_a_version_of_another_schema_needs_replace_schema_too(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """wine v1 served once (with --replace-schema), then breast_cancer again: rolling back to
    wine would change the clients' schema again, so it is refused like a deploy would be."""
    aws, environments, outputs_path = stack
    outputs = ["--stack-outputs", str(outputs_path), *FAST]
    register(aws["sagemaker"], "breast_cancer", 1)
    assert cli(environments, "deploy", *outputs) == 0
    wine = register(aws["sagemaker"], "wine", 1)
    assert cli(environments, "deploy", *outputs, "--model-package", wine, "--replace-schema") == 0
    assert cli(environments, "deploy", *outputs, "--replace-schema") == 0  # breast_cancer again
    before = serving_config(aws)
    capsys.readouterr()

    to_wine = ["rollback", *outputs, "--to", "1", "--dataset", "wine"]
    assert cli(environments, *to_wine) == 2
    err = capsys.readouterr().err
    assert f"endpoint {PREFIX}-endpoint serves {PREFIX}-models-breast-cancer v1" in err
    assert "--replace-schema" in err and "Traceback" not in err
    assert serving_config(aws) == before
    assert cli(environments, "rollback", *outputs, "--replace-schema") == 2  # needs --to
    assert "--replace-schema applies to --to VERSION" in capsys.readouterr().err

    assert cli(environments, *to_wine, "--replace-schema") == 0
    assert f"--replace-schema: {PREFIX}-models-wine v1" in capsys.readouterr().err
    assert serving_config(aws) != before
