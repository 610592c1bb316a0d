"""``orchestrator pipeline definition`` (issue #24), beyond ``test_cli_pipeline_definition.py``:
in a process with no AWS credentials at all it still prints (so it sends no request), the local
definition is the same bytes across processes, hash seeds and directories too, ``--output json``
prints the same text, and every bad input (an unknown environment, an outputs file that is not
JSON, not an object, lacks outputs or is a folder, an image that is no reference) exits 2 with a
message naming the fix."""

# ruff: noqa: F811  (pytest fixtures imported from test_cli_aws are parameters here)
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ml_containers.data.bundled import write_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    REPO,
    cli,
    credentials,
    envdir,
    outputs_file,
)

ORCHESTRATOR = Path(sys.executable).parent / "orchestrator"
SEEDS = ("0", "1", "12345")
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "breast_cancer.schema.yaml"
    write_schema("breast_cancer", path)
    return path


def _without_aws(seed: str, home: Path) -> dict[str, str]:
    """The environment of a process that has no way to sign an AWS request: no credentials,
    profile, config or shared-credentials file, no instance metadata; a fixed hash seed."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BOTO"))}
    return {
        **kept,
        "HOME": str(home),
        "PYTHONHASHSEED": seed,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _print(argv: list[str], cwd: Path, seed: str) -> bytes:
    done = subprocess.run(
        [str(ORCHESTRATOR), "pipeline", "definition", *argv],
        cwd=cwd,
        env=_without_aws(seed, cwd),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def _head() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _at_one_commit(runs: Callable[[], list[bytes]]) -> list[bytes]:
    """``runs()`` while HEAD stays put: the definition carries the commit (lineage), and other
    people may commit to this checkout while the test runs."""
    for _attempt in range(3):
        before = _head()
        printed = runs()
        if _head() == before:
            return printed
    pytest.skip("HEAD moved during each of three attempts")


def _print_in_each(argv: list[str], tmp_path: Path) -> list[bytes]:
    """The definition printed by one process per hash seed, each in its own directory."""
    printed = []
    for seed in SEEDS:
        folder = tmp_path / f"cwd-{seed}"
        folder.mkdir(exist_ok=True)
        printed.append(_print(argv, folder, seed))
    return printed


def test_an_aws_definition_prints_in_a_process_without_any_aws_credentials(
    envdir: Path, outputs_file: Path, schema_file: Path, tmp_path: Path
) -> None:
    argv = ["--env", "dev", "--environments-dir", str(envdir), "--stack-outputs"]
    argv += [str(outputs_file), "--schema", str(schema_file), "--image", DIGEST]
    printed = _at_one_commit(lambda: _print_in_each(argv, tmp_path))
    assert printed[0] == printed[1] == printed[2]
    document = json.loads(printed[0])
    assert document["Version"] == "2020-12-01"
    assert str(tmp_path) not in printed[0].decode()  # no local path leaks into the text


def test_the_local_definition_is_the_same_bytes_across_processes_directories_and_seeds(
    tmp_path: Path,
) -> None:
    environments = tmp_path / "environments"
    environments.mkdir()
    shutil.copy(REPO / "environments" / "local.yaml", environments / "local.yaml")
    argv = ["--env", "local", "--environments-dir", str(environments)]
    printed = _at_one_commit(lambda: _print_in_each(argv, tmp_path))
    assert printed[0] == printed[1] == printed[2]
    # Each directory staged the data in its own store (local.state_dir is relative to the cwd);
    # the definition names it by content, so no directory shows in the text.
    assert str(tmp_path) not in printed[0].decode()
    assert json.loads(printed[0])["Parameters"][0]["DefaultValue"].startswith("s3://")


def test_output_json_prints_the_same_unwrapped_definition(
    credentials: None,
    envdir: Path,
    outputs_file: Path,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--stack-outputs", str(outputs_file), "--schema", str(schema_file), "--image", DIGEST]
    assert cli(envdir, "pipeline", "definition", *argv) == 0
    table = capsys.readouterr().out
    assert cli(envdir, "pipeline", "definition", *argv, "--output", "json") == 0
    assert capsys.readouterr().out == table
    assert json.loads(table)["Version"] == "2020-12-01"


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ("{not json", "it must be the JSON that `terraform output -json` prints"),
        ("[1, 2]", "pass the file that `terraform output -json` writes"),
        ("{}", "run `orchestrator infra apply`, or pass the --stack-outputs file"),
        (None, "it must be the JSON that `terraform output -json` prints"),  # a folder
    ],
    ids=["not-json", "not-an-object", "no-outputs", "a-folder"],
)
def test_an_unreadable_outputs_file_exits_2_naming_the_fix(
    credentials: None,
    envdir: Path,
    schema_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    outputs: str | None,
    expected: str,
) -> None:
    path = tmp_path / "outputs.json"
    if outputs is None:
        path.mkdir()
    else:
        path.write_text(outputs)
    argv = ["--stack-outputs", str(path), "--schema", str(schema_file)]
    assert cli(envdir, "pipeline", "definition", *argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_an_unknown_environment_exits_2_naming_the_files_there_are(
    credentials: None, envdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestrator.cli import main

    code = main(["pipeline", "definition", "--env", "nope", "--environments-dir", str(envdir)])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown environment 'nope'" in err and "Create nope.yaml" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("image", ["sha256:zz", "not a reference"])
def test_an_image_that_is_no_reference_exits_2(
    credentials: None,
    envdir: Path,
    outputs_file: Path,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
    image: str,
) -> None:
    argv = ["--stack-outputs", str(outputs_file), "--schema", str(schema_file), "--image", image]
    assert cli(envdir, "pipeline", "definition", *argv) == 2
    err = capsys.readouterr().err
    assert "--image" in err and "Traceback" not in err
