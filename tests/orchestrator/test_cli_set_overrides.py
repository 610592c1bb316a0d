"""``--set KEY=VALUE`` (issue #18): one command's change to the environment file, validated like
the file; a key the file does not have, a value it would refuse, or no ``=`` exits 2 naming
that ``--set`` and the fix, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.errors import ConfigError
from orchestrator.settings.environment import load_environment
from orchestrator.settings.overrides import EnvironmentSource

ENVIRONMENT = "name: local\nbackend: local\npipeline:\n  training:\n    instance_count: 1\n"


@pytest.fixture
def environments(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "local.yaml").write_text(ENVIRONMENT)
    return folder


def test_short_and_full_keys_override_the_file(environments):
    sets = (
        "training.instance_count=2",
        "preprocessing.instance_count=3",
        "pipeline.tuning.max_jobs=5",
    )
    config = load_environment("local", EnvironmentSource(environments, sets))
    assert config.pipeline.training.instance_count == 2
    assert config.pipeline.processing.instance_count == 3
    assert config.pipeline.tuning.max_jobs == 5
    assert load_environment("local", environments).pipeline.training.instance_count == 1


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("training.instance_cont=2", "pipeline.training.instance_cont: unknown key"),
        ("training.instance_count=two", "pipeline.training.instance_count: Input should be"),
        ("training.instance_count=0", "greater than or equal to 1"),
        ("backend=cloud", "backend: not allowed"),
        ("name.x=1", "name is a value"),
    ],
)
def test_an_unknown_key_or_a_bad_value_exits_2_naming_it(environments, capsys, given, named):
    code = main(["run", "--env", "local", "--environments-dir", str(environments), "--set", given])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--set {given}" in err and named in err, err
    assert "Traceback" not in err


def test_only_the_faulty_set_is_named_and_the_order_of_flags_does_not_matter(environments):
    with pytest.raises(ConfigError) as refused:
        load_environment(
            "local", EnvironmentSource(environments, ("training.instance_count=2", "tuning.x=1"))
        )
    assert "--set tuning.x=1: pipeline.tuning.x: unknown key" in str(refused.value)
    assert "--set training.instance_count=2" not in str(refused.value)


def test_set_without_equals_is_a_usage_error(environments, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--set", "training.instance_count", "--environments-dir", str(environments)])
    assert stopped.value.code == 2
    assert "is not KEY=VALUE" in capsys.readouterr().err


def test_set_before_environments_dir_still_reads_that_folder(environments, capsys):
    code = main(
        [
            "executions",
            "list",
            "--set",
            "training.instance_cont=2",
            "--environments-dir",
            str(environments),
        ]
    )
    assert code == 2
    assert "--set training.instance_cont=2" in capsys.readouterr().err
