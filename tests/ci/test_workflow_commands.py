"""The workflows' commands, in order, against the real CLI: each must be a registered command
whose flags the CLI's own parser accepts, with the job's environment, so a renamed command or
flag fails here instead of in a deployment.

tests/aws/test_workflow_replay.py runs them in order against moto in two accounts.
"""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from workflow_model import REPO_ROOT, Command, commands, option, workflows

from orchestrator.cli.app import build_parser
from orchestrator.cli.registry import REGISTRY

WORKFLOWS = workflows()
COMMANDS = [command for name, data in WORKFLOWS.items() for command in commands(name, data)]
ORCHESTRATOR = [command for command in COMMANDS if command.program == "orchestrator"]


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    return build_parser()


def registered_words() -> set[str]:
    return {words[0] for words in REGISTRY.commands} | set(REGISTRY.groups)


@pytest.mark.parametrize("command", ORCHESTRATOR, ids=[command.label for command in ORCHESTRATOR])
def test_each_command_is_one_the_cli_accepts(
    command: Command, parser: argparse.ArgumentParser, capsys: pytest.CaptureFixture[str]
) -> None:
    if command.argv[0] not in registered_words():
        pytest.fail(f"{command.label}: the CLI has no command {command.argv[0]!r}")
    try:
        parser.parse_args(list(command.argv))
    except SystemExit as exit_:
        pytest.fail(f"{command.label}: {capsys.readouterr().err.strip()} (exit {exit_.code})")


def test_make_targets_exist() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    for command in COMMANDS:
        if command.program == "make":
            for target in command.argv:
                assert f"\n{target}:" in makefile, f"{command.label}: no make target {target}"


def _job_environment(workflow: str, job: str) -> str:
    data: dict[str, Any] = WORKFLOWS[workflow]["jobs"][job]
    environment = data.get("environment")
    # The pull request's plan job has no GitHub environment (its token's subject is
    # pull_request) but plans dev.
    return str(environment) if environment else "dev"


@pytest.mark.parametrize("command", ORCHESTRATOR, ids=[command.label for command in ORCHESTRATOR])
def test_each_command_acts_on_its_jobs_environment(command: Command) -> None:
    """A job's role belongs to one environment; a command aimed at another would fail on AWS."""
    expected = _job_environment(command.workflow, command.job)
    if command.argv[0] == "render":
        return  # renders every environment's variables; reads no AWS
    target = (
        option(command.argv, "--to")
        if command.argv[0] == "promote"
        else option(command.argv, "--env")
    )
    assert target == expected, f"{command.label}: expected the {expected} environment"


def _sequence(workflow: str, job: str) -> list[str]:
    return [
        " ".join(command.argv[:2] if command.argv[0] in REGISTRY.groups else command.argv[:1])
        for command in COMMANDS
        if command.workflow == workflow and command.job == job and command.program == "orchestrator"
    ]


def test_the_main_workflow_runs_the_steps_in_order() -> None:
    assert _sequence("main.yml", "dev") == [
        "render",
        "infra apply",
        "infra output",
        "image build",
        "image push",
        "run",
        "deploy",
        "endpoint-test",
    ]
    assert _sequence("main.yml", "staging") == [
        "render",
        "infra apply",
        "infra output",
        "promote",
        "deploy",
        "endpoint-test",
    ]
    # prod: the stack changes only through a reviewed plan (run --approve-plan), and the model
    # arrives PendingManualApproval for a person to approve and deploy.
    assert _sequence("main.yml", "prod") == ["render", "infra output", "promote"]
    assert _sequence("pull-request.yml", "plan-dev") == ["infra plan", "preflight"]


def test_outputs_written_by_one_step_are_what_later_steps_read() -> None:
    """`--stack-outputs FILE` must name a file an earlier step of the same job wrote."""
    written: dict[tuple[str, str], set[str]] = {}
    for command in COMMANDS:
        key = (command.workflow, command.job)
        read = option(command.argv, "--stack-outputs")
        if read is not None:
            assert read in written.get(key, set()), f"{command.label}: nothing wrote {read}"
        if command.redirect:
            written.setdefault(key, set()).add(command.redirect)


@pytest.mark.parametrize(
    "argv",
    [("infra", "plan", "--envv", "dev"), ("image", "publish", "--env", "dev"), ("run", "--image")],
)
def test_the_parser_check_fires_on_drift(
    argv: tuple[str, ...], parser: argparse.ArgumentParser, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parser.parse_args(list(argv))
    assert "error" in capsys.readouterr().err
