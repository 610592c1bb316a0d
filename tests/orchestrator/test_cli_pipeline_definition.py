"""``orchestrator pipeline definition`` (issue #24): the definition text an upsert sends, built
from files alone. It is byte for byte what ``pipeline upsert`` gives SageMaker (moto's
DescribePipeline), it makes no AWS call (botocore's request method replaced by one that fails),
it is the same bytes across processes, working directories and hash seeds, and each missing or
wrong input exits 2 naming the fix."""

# ruff: noqa: F811  (pytest fixtures imported from test_cli_aws are parameters here)
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ml_containers.data.bundled import write_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    PREFIX,
    REGION,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    stack_outputs,
)

ORCHESTRATOR = Path(sys.executable).parent / "orchestrator"


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    """The local copy of the schema that dev.yaml's dataset.schema names in S3."""
    path = tmp_path / "breast_cancer.schema.yaml"
    write_schema("breast_cancer", path)
    return path


def _pushed_digest(moto: dict[str, Any]) -> str:
    """The digest moto's ECR holds for the image IMAGE names (tag 1.0)."""
    found = moto["ecr"].describe_images(repositoryName=PREFIX, imageIds=[{"imageTag": "1.0"}])
    return str(found["imageDetails"][0]["imageDigest"])


def test_the_printed_definition_is_byte_for_byte_what_upsert_sends(
    moto: dict[str, Any],
    envdir: Path,
    outputs_file: Path,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    digest = _pushed_digest(moto)
    offline = ["--stack-outputs", str(outputs_file), "--schema", str(schema_file)]
    assert cli(envdir, "pipeline", "definition", *offline, "--image", digest) == 0
    printed = capsys.readouterr().out
    assert (
        cli(envdir, "pipeline", "upsert", "--stack-outputs", str(outputs_file), "--image", digest)
        == 0
    )
    sent = moto["sagemaker"].describe_pipeline(PipelineName=f"{PREFIX}-training")
    assert printed == sent["PipelineDefinition"]
    images = {
        step["Arguments"]["AppSpecification"]["ImageUri"]
        for step in json.loads(printed)["Steps"]
        if step["Type"] == "Processing"
    }
    assert images == {f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PREFIX}@{digest}"}


def test_printing_the_definition_makes_no_aws_call(
    credentials: None,
    envdir: Path,
    outputs_file: Path,
    schema_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No moto here: any botocore request would fail the test, whichever client sent it."""
    calls: list[str] = []

    def refuse(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        raise AssertionError(f"pipeline definition called AWS: {operation}")

    monkeypatch.setattr("botocore.client.BaseClient._make_api_call", refuse)
    offline = ["--stack-outputs", str(outputs_file), "--schema", str(schema_file)]
    assert cli(envdir, "pipeline", "definition", *offline) == 0
    captured = capsys.readouterr()
    assert calls == []
    assert json.loads(captured.out)["Version"] == "2020-12-01"
    # Without a digest the image stays a tag reference, and stderr says upsert would pin it.
    assert "is not resolved to a digest (no AWS call)" in captured.err


def _print_in_process(envdir: Path, argv: list[str], cwd: Path, seed: str) -> bytes:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [
            str(ORCHESTRATOR),
            "pipeline",
            "definition",
            "--env",
            "dev",
            "--environments-dir",
            str(envdir),
            *argv,
        ],
        cwd=cwd,
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def test_the_definition_is_the_same_bytes_across_processes_directories_and_hash_seeds(
    credentials: None, envdir: Path, outputs_file: Path, schema_file: Path, tmp_path: Path
) -> None:
    digest = "sha256:" + "ab" * 32
    argv = ["--stack-outputs", str(outputs_file), "--schema", str(schema_file), "--image", digest]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runs = [
        _print_in_process(envdir, argv, cwd, seed)
        for cwd, seed in ((tmp_path, "0"), (elsewhere, "1"), (tmp_path, "12345"))
    ]
    assert runs[0] == runs[1] == runs[2]
    assert json.loads(runs[0])["Parameters"][0]["Name"] == "InputData"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--schema", "{schema}"], "needs its stack outputs: pass --stack-outputs FILE"),
        (["--stack-outputs", "{outputs}"], "offline, pass a local copy of it with --schema FILE"),
        (["--stack-outputs", "{missing}", "--schema", "{schema}"], "does not exist"),
        (["--stack-outputs", "{outputs}", "--schema", "{missing}"], "does not exist"),
        (
            ["--stack-outputs", "{outputs}", "--schema", "{outputs}"],
            "is not a valid dataset schema",
        ),
        (
            ["--stack-outputs", "{staging}", "--schema", "{schema}"],
            "belong to another stack: environment 'staging'",
        ),
        (
            ["--stack-outputs", "{outputs}", "--schema", "{schema}", "--image", "docker.io/x:1"],
            "is not in this environment's repository",
        ),
    ],
)
def test_a_missing_or_wrong_input_exits_2_naming_the_fix(
    credentials: None,
    envdir: Path,
    outputs_file: Path,
    schema_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    staging = tmp_path / "staging-outputs.json"
    staging.write_text(json.dumps(stack_outputs(environment="staging").to_terraform_json()))
    paths = {
        "schema": schema_file,
        "outputs": outputs_file,
        "missing": tmp_path / "nope.json",
        "staging": staging,
    }
    filled = [arg.format(**paths) for arg in argv]
    assert cli(envdir, "pipeline", "definition", *filled) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_local_environment_prints_its_definition_and_refuses_aws_only_flags(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
    from e2e_support import lean_environments, run_program

    environments = lean_environments(tmp_path)
    argv = ["pipeline", "definition", "--env", "local", "--environments-dir", environments]
    done = run_program("orchestrator", *argv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [p["Name"] for p in json.loads(done.stdout)["Parameters"]][:2] == [
        "InputData",
        "InputDataVersion",
    ]
    refused = run_program("orchestrator", *argv, "--image", "sha256:" + "ab" * 32, cwd=tmp_path)
    assert refused.returncode == 2
    assert "--image apply to aws environments" in refused.stderr
