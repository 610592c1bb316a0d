"""Every bad input to `orchestrator recommend` exits 2 with one line naming the problem and the
fix: no model to measure names `orchestrator run`, an aws environment without a measurements
file is refused by name, bad numbers and bad measurement files are named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestrator.cli.app import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def environments(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nlocal:\n  state_dir: {tmp_path / 'state'}\n"
    )
    shutil.copy(ROOT / "environments" / "dev.yaml", folder / "dev.yaml")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _one_clear_error(code: int, err: str, expected: str) -> None:
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_no_model_to_measure_names_orchestrator_run(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(capsys, "recommend", "--environments-dir", str(environments))
    _one_clear_error(code, err, "`orchestrator run --env local`")


def test_an_aws_environment_without_a_measurements_file_is_refused_by_name(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(capsys, "recommend", "--env", "dev", "--environments-dir", str(environments))
    _one_clear_error(code, err, "--measurements m.json")
    assert "environment dev" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read measurements file"),
        ("not json", "is not JSON"),
        (json.dumps({"kind": "something else"}), "is not a measurements file"),
        (json.dumps({"kind": "orchestrator-recommend-measurements", "version": 9}), "version 9"),
        (
            json.dumps({"kind": "orchestrator-recommend-measurements", "version": 1}),
            "bad measurements",
        ),
    ],
)
def test_a_bad_measurements_file_is_named(
    environments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    content: str | None, expected: str,
) -> None:  # fmt: skip
    path = tmp_path / "m.json"
    if content is not None:
        path.write_text(content)
    code, err = _run(
        capsys, "recommend", "--env", "dev", "--environments-dir", str(environments),
        "--measurements", str(path),
    )  # fmt: skip
    _one_clear_error(code, err, expected)
    assert "--save-measurements" in err


@pytest.mark.parametrize(
    "flags", [["--rps", "0"], ["--rps", "fast"], ["--rows", "-5"], ["--requests", "0"]]
)
def test_bad_numbers_are_usage_errors(
    environments: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    code, err = _run(capsys, "recommend", "--environments-dir", str(environments), *flags)
    assert code == 2 and flags[0] in err and "Traceback" not in err


def test_a_bad_expected_rate_in_the_environment_file_is_named(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = environments / "local.yaml"
    local.write_text(local.read_text() + "endpoint:\n  expected_requests_per_second: -3\n")
    code, err = _run(capsys, "recommend", "--environments-dir", str(environments))
    assert code == 2 and "expected_requests_per_second" in err, err
