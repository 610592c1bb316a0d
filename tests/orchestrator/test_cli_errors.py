"""Every ``orchestrator`` command meets a user mistake with one clear paragraph and exit 2, never
a traceback (issue 7): a malformed environment file, an invalid key, an unknown environment, a
missing file, a bad flag. And ``run`` refuses data that does not match its schema before any
training starts, leaving no execution behind.

In-process through ``orchestrator.cli.main`` (the console script's own function) so the grid
stays fast; ``test_the_installed_entry_point_exits_2`` runs the real executable once per kind."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from ml_containers.data.bundled import write_schema
from ml_containers.data.demo import write_demo

from orchestrator.cli import main

ORCHESTRATOR = Path(sys.executable).parent / "orchestrator"

# Every command, with the arguments it needs to get as far as reading the environment.
COMMANDS = {
    "run": ["run"],
    "executions list": ["executions", "list"],
    "executions describe": ["executions", "describe", "latest"],
    "models list": ["models", "list"],
    "models approve": ["models", "approve", "1"],
    "models reject": ["models", "reject", "1"],
    "endpoint serve": ["endpoint", "serve"],
    "batch-transform": ["batch-transform", "--input", "in.csv", "--output", "out.csv"],
}
ENVIRONMENT_MISTAKES = {
    "malformed": ("name: broken\nbackend: local\npipeline: [oops\n", "is not valid YAML at line"),
    "invalid key": ("name: broken\nbackend: local\npipelin: {}\n", "pipelin: unknown key"),
    "wrong value": ("name: broken\nbackend: cloud\n", "backend: not allowed"),
}


@pytest.fixture
def environments(tmp_path: Path) -> Path:
    """A folder with one good local environment (state in tmp) and one per kind of mistake."""
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nlocal:\n  state_dir: {tmp_path / 'state'}\n"
    )
    return folder


def run_cli(
    capsys: pytest.CaptureFixture[str], *argv: str, cwd: Path | None = None
) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors exit from inside parse_args
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_clear_error(code: int, err: str, expected: str) -> None:
    assert code == 2, err
    assert expected in err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("mistake", list(ENVIRONMENT_MISTAKES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_broken_environment_file_is_named(
    environments: Path, capsys: pytest.CaptureFixture[str], command: str, mistake: str
) -> None:
    text, expected = ENVIRONMENT_MISTAKES[mistake]
    (environments / "broken.yaml").write_text(text)
    argv = [*COMMANDS[command], "--env", "broken", "--environments-dir", str(environments)]
    code, _, err = run_cli(capsys, *argv)
    assert_one_clear_error(code, err, expected)
    assert "broken.yaml" in err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unknown_environment_lists_the_known_ones(
    environments: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = [*COMMANDS[command], "--env", "qa", "--environments-dir", str(environments)]
    code, _, err = run_cli(capsys, *argv)
    assert_one_clear_error(code, err, "unknown environment 'qa'")
    assert "Available environments: local" in err


@pytest.mark.parametrize("command", [*COMMANDS, "schema infer"])
def test_a_bad_flag_is_a_usage_error(
    environments: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = COMMANDS.get(command, ["schema", "infer", "--data", "x.csv"])
    code, _, err = run_cli(capsys, *argv, "--no-such-flag")
    assert_one_clear_error(code, err, "unrecognized arguments: --no-such-flag")
    assert "--help' for usage" in err


BAD_VALUES = {
    "models approve": (["models", "approve", "first"], "invalid int value: 'first'"),
    "models list": (["models", "list", "--status", "Live"], "invalid choice: 'Live'"),
    "batch-transform": (
        ["batch-transform", "--input", "a", "--output", "b", "--join-source", "Output"],
        "invalid choice: 'Output'",
    ),
    "executions describe": (["executions", "describe"], "required: execution_id"),
    "schema infer": (["schema", "infer"], "required: --data"),
    "no command": ([], "required: command"),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_a_bad_value_or_missing_argument_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv, expected = BAD_VALUES[case]
    code, _, err = run_cli(capsys, *argv)
    assert_one_clear_error(code, err, expected)


def test_missing_files_are_named(
    environments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = ["--environments-dir", str(environments)]
    schema = tmp_path / "wine.yaml"
    write_schema("wine", schema)
    cases = [
        (["run", "--data", str(tmp_path / "nope.csv"), "--schema", str(schema)], "does not exist"),
        (["run", "--data", str(tmp_path / "nope.csv")], "needs a schema: pass --schema FILE"),
        (["run", "--schema", str(schema)], "--schema goes with --data"),
        (
            ["batch-transform", "--input", str(tmp_path / "nope.csv"), "--output", "o.csv"],
            "--input",
        ),
        (["schema", "infer", "--data", str(tmp_path / "nope.csv")], "does not exist"),
    ]
    for argv, expected in cases:
        code, _, err = run_cli(capsys, *argv, *(env if argv[0] != "schema" else []))
        assert_one_clear_error(code, err, expected)
    data = tmp_path / "wine.csv"
    write_demo("wine", data)
    code, _, err = run_cli(
        capsys, "run", "--data", str(data), "--schema", str(tmp_path / "nope.yaml"), *env
    )
    assert_one_clear_error(code, err, "nope.yaml does not exist")


def test_commands_on_an_empty_state_say_what_to_do_first(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = ["--environments-dir", str(environments)]
    for argv, expected in [
        (["executions", "describe", "latest"], "there are no executions yet"),
        (["executions", "describe", "abc123"], "no execution 'abc123'"),
        (["models", "approve", "3"], "mlops-local-models-breast-cancer has no versions yet"),
        (["models", "reject", "3"], "'orchestrator run --env local' first"),
        (["endpoint", "serve"], "has no Approved version"),
    ]:
        code, _, err = run_cli(capsys, *argv, *env)
        assert_one_clear_error(code, err, expected)


def test_a_bad_batch_transform_filter_is_a_usage_error(
    environments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("1,2\n")
    code, _, err = run_cli(
        capsys,
        *["batch-transform", "--input", str(source), "--output", str(tmp_path / "o.csv")],
        *["--input-filter", "$.features", "--environments-dir", str(environments)],
    )
    assert_one_clear_error(code, err, "--input-filter '$.features' is not supported")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["models", "list", "--env", "broken"], "is not valid YAML"),
        (["executions", "list", "--env", "qa"], "unknown environment 'qa'"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["schema", "infer", "--data", "missing.csv"], "does not exist"),
    ],
)
def test_the_installed_entry_point_exits_2(
    environments: Path, tmp_path: Path, argv: list[str], expected: str
) -> None:
    (environments / "broken.yaml").write_text("backend: [local\n")
    env = [] if argv[0] == "schema" else ["--environments-dir", str(environments)]
    done = subprocess.run(
        [str(ORCHESTRATOR), *argv, *env],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_one_clear_error(done.returncode, done.stderr, expected)
    assert done.stdout == ""


# -- run refuses data that does not match its schema, before any training --------------------
def _rewrite(source: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    with target.open("w", newline="") as handle:
        csv.writer(handle).writerows(change(rows))
    return target


def _drop_column(name: str):  # type: ignore[no-untyped-def]
    def change(rows: list[list[str]]) -> list[list[str]]:
        index = rows[0].index(name)
        return [row[:index] + row[index + 1 :] for row in rows]

    return change


def _text_in_most_rows(name: str):  # type: ignore[no-untyped-def]
    def change(rows: list[list[str]]) -> list[list[str]]:
        index = rows[0].index(name)
        for number, row in enumerate(rows[1:]):
            if number % 5:
                row[index] = "high"
        return rows

    return change


def _only_class(value: str):  # type: ignore[no-untyped-def]
    return lambda rows: [rows[0]] + [row for row in rows[1:] if row[-1] == value]


MISMATCHES = {
    "missing column": (_drop_column("alcohol"), None, "missing required column(s) 'alcohol'"),
    "wrong type in most rows": (
        _text_in_most_rows("magnesium"),
        None,
        "magnesium: not a number",
    ),
    "target with one class": (_only_class("class_1"), None, "holds only the class 'class_1'"),
    "unknown problem type": (
        None,
        ("multiclass_classification", "ranking"),
        "problem_type: Input should be",
    ),
    "unknown metric": (None, ("name: macro_f1", "name: kappa"), "unknown metric 'kappa'"),
    "header only": (lambda rows: rows[:1], None, "has a header but no data rows"),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_run_refuses_data_that_does_not_match_its_schema(
    environments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    change_data, change_schema, expected = MISMATCHES[case]
    data = tmp_path / "wine.csv"
    write_demo("wine", data)
    schema = tmp_path / "wine.schema.yaml"
    write_schema("wine", schema)
    if change_data is not None:
        data = _rewrite(data, tmp_path / "changed.csv", change_data)
    if change_schema is not None:
        schema.write_text(schema.read_text().replace(*change_schema))
    env = ["--environments-dir", str(environments)]
    code, out, err = run_cli(capsys, "run", "--data", str(data), "--schema", str(schema), *env)
    assert_one_clear_error(code, err, expected)
    assert out == ""
    code, out, _ = run_cli(capsys, "executions", "list", "--output", "json", *env)
    assert code == 0 and json.loads(out) == []  # nothing ran, so nothing was trained
    assert not list((tmp_path / "state").rglob("model.tar.gz"))
