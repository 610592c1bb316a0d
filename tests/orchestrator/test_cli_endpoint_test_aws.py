"""``orchestrator endpoint-test`` on an aws environment, against moto: what it refuses before
sending anything (exit 2), and an endpoint whose answers are not serve's predictions (exit 1).
The passing and the failing metric are shown end to end on a real local endpoint
(tests/e2e/test_endpoint_test.py); moto's InvokeEndpoint answers a fixed placeholder body."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    DATA_BUCKET,
    GROUP,
    IMAGE,
    PREFIX,
    SCHEMA_URI,
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    register,
    stack,
)

from orchestrator.backends.aws import AwsModelRegistry

HELD_OUT = f"s3://{DATA_BUCKET}/held-out"


def register_with_lineage(aws: dict[str, Any]) -> str:
    """An Approved version whose lineage names its schema, gate metric and held-out rows."""
    aws["s3"].put_object(Bucket=DATA_BUCKET, Key="held-out/batch.csv", Body=b"1,2\n3,4\n")
    aws["s3"].put_object(Bucket=DATA_BUCKET, Key="held-out/labels.csv", Body=b"benign\nmalignant\n")
    registry = AwsModelRegistry(aws["sagemaker"])
    registry.ensure_group(GROUP)
    return registry.register(
        GROUP,
        model_data_url=f"s3://{PREFIX}-artifacts-{ACCOUNT}/models/1/model.tar.gz",
        image_uri=IMAGE,
        approval_status="Approved",
        metrics={"auc": 0.99},
        metadata={"schema_uri": SCHEMA_URI, "gate_metric": "auc", "test_data": HELD_OUT},
    ).arn


def test_an_endpoint_that_serves_nothing_is_refused(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, environments, flags = stack
    assert cli(environments, "endpoint-test", *flags) == 2
    assert f"nothing serves on endpoint {PREFIX}-endpoint" in capsys.readouterr().err


def test_a_version_without_recorded_lineage_is_refused(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)  # registered outside the pipeline: no lineage
    assert cli(environments, "deploy", *flags) == 0
    capsys.readouterr()
    assert cli(environments, "endpoint-test", *flags) == 2
    assert "records no schema_uri or gate_metric" in capsys.readouterr().err


def test_answers_that_are_not_predictions_fail_the_test_exit_1(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    arn = register_with_lineage(aws)
    assert cli(environments, "deploy", *flags, "--model-package", arn) == 0
    capsys.readouterr()
    assert cli(environments, "endpoint-test", *flags) == 1
    err = capsys.readouterr().err
    assert "the endpoint's answer is not serve's JSON" in err and "Traceback" not in err


def test_dataset_is_refused_on_an_aws_environment(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, environments, flags = stack
    assert cli(environments, "endpoint-test", *flags, "--dataset", "wine") == 2
    assert "drop --dataset" in capsys.readouterr().err
