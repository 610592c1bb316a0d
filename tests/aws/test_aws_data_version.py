"""Issue #16 on SageMaker (moto), through the CLI as a job runs it: an execution carries the
version of the data under its InputData prefix (``InputDataVersion``, in Preprocess's
Environment and so in SageMaker's step cache key), so new objects under a fixed S3 prefix make
Preprocess run again instead of reusing a result computed from the old ones.

The CLI fixtures (moto with the stack's data bucket, the dev environment, its stack outputs)
are test_cli_aws's, so these starts go exactly the way that file's `pipeline start` and `run`
go."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestrator"))
import test_cli_aws as cli_aws
from test_cli_aws import DATA_BUCKET, DATA_URI, FAST, PREFIX, cli

# test_cli_aws's fixtures, used here under their own names.
credentials, envdir, moto, outputs_file = (
    cli_aws.credentials,
    cli_aws.envdir,
    cli_aws.moto,
    cli_aws.outputs_file,
)

PIPELINE = f"{PREFIX}-training"
ROWS_KEY = f"{DATA_URI.split('/', 3)[3]}rows.csv"  # the object the moto fixture put there


def _start(
    envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> str:
    """`pipeline start` (exit 0); the execution's InputDataVersion as StartPipelineExecution
    sent it."""
    args = ["pipeline", "start", "--stack-outputs", str(outputs_file), "--output", "json"]
    assert cli(envdir, *args, *extra) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)["execution"]


def _version(sagemaker: Any, arn: str) -> str | None:
    sent = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    return {p["Name"]: p["Value"] for p in sent["PipelineParameters"]}.get("InputDataVersion")


@pytest.fixture
def upserted(moto: dict[str, Any], envdir: Path, outputs_file: Path) -> dict[str, Any]:
    assert cli(envdir, "pipeline", "upsert", "--stack-outputs", str(outputs_file)) == 0
    return moto


def test_unchanged_data_starts_with_the_same_version_and_a_changed_object_with_a_new_one(
    upserted: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker, s3 = upserted["sagemaker"], upserted["s3"]
    capsys.readouterr()
    first = _version(sagemaker, _start(envdir, outputs_file, capsys))
    again = _version(sagemaker, _start(envdir, outputs_file, capsys))
    assert first and first != "unversioned"
    assert again == first  # nothing changed: Preprocess's cache key is the same, it may hit

    s3.put_object(Bucket=DATA_BUCKET, Key=ROWS_KEY, Body=b"y\n")  # new rows, same key and size
    changed = _version(sagemaker, _start(envdir, outputs_file, capsys))
    assert changed not in (None, first)

    s3.put_object(Bucket=DATA_BUCKET, Key=ROWS_KEY.replace("rows", "more"), Body=b"z\n")
    assert _version(sagemaker, _start(envdir, outputs_file, capsys)) not in (None, first, changed)


def test_run_starts_with_the_data_version_too(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "--stack-outputs", str(outputs_file), *FAST, "--output", "json"]
    assert cli(envdir, *args) == 0
    run_arn = json.loads(capsys.readouterr().out)["execution"]["id"]
    started = _version(moto["sagemaker"], _start(envdir, outputs_file, capsys))
    assert started and _version(moto["sagemaker"], run_arn) == started  # same data, same version


def test_an_input_data_override_is_versioned_by_its_own_objects(
    upserted: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = f"s3://{DATA_BUCKET}/datasets/breast_cancer/other/"
    upserted["s3"].put_object(Bucket=DATA_BUCKET, Key=f"{other.split('/', 3)[3]}a.csv", Body=b"a\n")
    capsys.readouterr()
    default = _version(upserted["sagemaker"], _start(envdir, outputs_file, capsys))
    overridden = _start(envdir, outputs_file, capsys, "--parameter", f"InputData={other}")
    assert _version(upserted["sagemaker"], overridden) not in (None, default)


def test_an_empty_prefix_is_refused_with_exit_2_before_anything_starts(
    upserted: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upserted["s3"].delete_object(Bucket=DATA_BUCKET, Key=ROWS_KEY)
    capsys.readouterr()
    assert cli(envdir, "pipeline", "start", "--stack-outputs", str(outputs_file)) == 2
    error = capsys.readouterr().err
    assert f"no data under {DATA_URI}" in error and "aws s3 cp" in error
    empty = f"s3://{DATA_BUCKET}/nothing/here/"
    args = ["pipeline", "start", "--stack-outputs", str(outputs_file)]
    assert cli(envdir, *args, "--parameter", f"InputData={empty}") == 2
    assert f"no data under {empty}" in capsys.readouterr().err
    executions = upserted["sagemaker"].list_pipeline_executions(PipelineName=PIPELINE)
    assert executions["PipelineExecutionSummaries"] == []


def test_an_input_data_version_override_is_refused_by_name(
    upserted: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    args = ["pipeline", "start", "--stack-outputs", str(outputs_file)]
    assert cli(envdir, *args, "--parameter", "InputDataVersion=v1") == 2
    assert "InputDataVersion is set by the orchestrator" in capsys.readouterr().err
