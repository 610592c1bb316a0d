"""What the registry builds (issue 13), beyond test_cli_registry.py: every group's ``--help`` and
every command's flags are the ones the CLI had before the registry, a built parser calls the
registered handler, and ``orchestrator/cli/`` touches no private argparse name at all (collected
from argparse itself, not a fixed list: the old parser copied ``_actions`` between parsers, which
breaks silently when argparse changes).

The expected commands, their one-line help and every command's flags in order are the ones the
CLI had before the registry; ``executions list|describe`` gained the stack-outputs flags when they
started reading an aws environment's executions through its backend; the commands that pick a
model version gained ``--dataset`` when each dataset got its own model package group, and
``deploy`` gained ``--replace-schema`` with it; ``endpoint history`` and ``rollback --to`` came
with the deployment history, and the ``endpoint`` group's help names both of its commands;
``bootstrap`` (issue 17) is new, listed before ``infra``; ``backup``, ``restore`` and ``data
restore`` (issue 22, disaster recovery) are new, listed last; ``recover`` (issue 22: the
region restore as one command) follows ``restore``.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.cli.registry import Registry

CLI_SOURCES = Path(__file__).resolve().parents[2] / "orchestrator" / "cli"
ORCHESTRATOR = Path(sys.executable).parent / "orchestrator"

TOP_LEVEL = {
    "run": "run the whole job: pipeline, register, serve, batch",
    "executions": "pipeline executions",
    "models": "the model registry",
    "endpoint": "the endpoint: serve locally, deployment history",
    "endpoint-test": "send the serving version its held-out rows: metric and p99 latency within "
    "bounds",
    "recommend": "right-sized training and endpoint instances, with hourly cost, from measured "
    "runs",
    "monitor": "model monitoring: drift of captured requests against the baseline",
    "logs": "an execution's or the endpoint's logs (--follow to keep reading); --output json: "
    "one JSON object per line",
    "batch-transform": "predict every line of a file",
    "schema": "dataset schema files",
    "render": "render <env>.tfvars.json",
    "bootstrap": "create the Terraform state bucket and key of an environment; write its backend "
    "file",
    "infra": "Terraform: plan, apply, output",
    "image": "the container image: build it, push it to the stack's repository",
    "preflight": "check the stack and the orchestrator against AWS's rules before applying",
    "pipeline": "the SageMaker pipeline",
    "deploy": "blue/green deploy to the endpoint",
    "rollback": "return to the previous model",
    "promote": "copy an Approved model into the next environment",
    "backup": "back up the model registry, pipeline definition and deployment history (docs/dr.md)",
    "restore": "re-create the model registry and deployment history from a backup",
    "recover": "re-create the environment in another region from a backup, redeploy and verify "
    "it (docs/dr.md)",
    "data": "data in the environment's buckets: point-in-time restore",
    "ui": "web pages for executions, models and endpoints (JSON twins under /api)",
}
GROUPS = {
    "executions": {
        "list": "list executions",
        "describe": "one execution's steps",
        "retry": "continue a failed, stopped or crashed execution: its succeeded steps are kept",
    },
    "models": {
        "list": "list model versions",
        "approve": "approve a model version",
        "reject": "reject a model version",
    },
    "endpoint": {
        "serve": "serve the latest approved model (foreground)",
        "history": "every deploy, rollback and no-op of the endpoint: when, who, which version, "
        "outcome",
    },
    "monitor": {
        "run": "compare the captured window with the served model's baseline (PSI, KS, "
        "chi-squared)",
    },
    "schema": {"infer": "draft a schema from a CSV for you to review (YAML with comments)"},
    "infra": {
        "plan": "init with the environment's backend and save a plan",
        "apply": "plan, apply exactly that plan, read the outputs",
        "output": "print `terraform output -json` (checked against the contract)",
    },
    "image": {
        "build": "build containers/ tagged with the commit (<sha>, or <sha>-dirty)",
        "push": "push this commit's build to the stack's ECR repository (prints the digest)",
    },
    "data": {"restore": "restore a prefix to a point in time from object versions"},
    "pipeline": {
        "upsert": "create/update the pipeline (shows the diff)",
        "definition": "print the definition upsert would send, without calling AWS",
        "start": "start an execution",
        "wait": "wait for an execution to end",
    },
}
COMMON = ["--env", "--environments-dir", "--set", "--output"]
STACK = ["--stack-outputs", "--terraform-dir"]
WAITING = ["--timeout", "--poll-interval"]
FLAGS = {
    "run": [
        *COMMON,
        "--data",
        "--schema",
        "--parameter",
        "--image",
        *STACK,
        "--skip-preflight",
        "--approve-plan",
        "--auto-approve",
        "--from-execution",
        "--steps",
        *WAITING,
    ],
    "executions list": [*COMMON, *STACK],
    "executions describe": [*COMMON, *STACK],
    "executions retry": [*COMMON, *STACK, *WAITING],
    "models list": [*COMMON, "--status", "--dataset", *STACK],
    "models approve": [*COMMON, "--reason", "--dataset", *STACK],
    "models reject": [*COMMON, "--reason", "--dataset", *STACK],
    "endpoint serve": [*COMMON, "--port", "--version", "--dataset"],
    "endpoint history": [*COMMON, *STACK],
    "endpoint-test": [*COMMON, "--dataset", *STACK, *WAITING],
    "monitor run": [
        *COMMON,
        "--since",
        "--until",
        "--version",
        "--dataset",
        *STACK,
        "--report",
        "--no-metrics",
    ],
    "logs": [*COMMON, "--execution", "--endpoint", "--since", "--follow", *WAITING[::-1], *STACK],
    "batch-transform": [
        *COMMON[:3],
        "--input",
        "--output",  # a file or s3:// prefix here, not table|json
        "--version",
        "--content-type",
        "--input-filter",
        "--join-source",
        "--output-filter",
        "--dataset",
        *STACK,
        *WAITING,
    ],
    "schema infer": ["--data", "--target", "--problem-type", "--out", "--force"],
    "render": [*COMMON, "--terraform-dir", "--check"],
    "bootstrap": [*COMMON, "--dry-run", "--terraform-dir"],
    "infra plan": [*COMMON, "--terraform-dir"],
    "infra apply": [*COMMON, "--terraform-dir"],
    "infra output": [*COMMON, "--terraform-dir"],
    "image build": [*COMMON, "--engine", "--variant", "--base-image"],
    "preflight": [*COMMON, "--offline", "--plan", "--terraform-dir"],
    "image push": [*COMMON, "--engine", "--variant", "--tag", *STACK],
    "pipeline upsert": [*COMMON, *STACK, "--image"],
    "pipeline definition": [*COMMON, "--stack-outputs", "--schema", "--image"],
    "pipeline start": [*COMMON, *STACK, "--parameter"],
    "pipeline wait": [*COMMON, *STACK, *WAITING, "--execution"],
    "deploy": [
        *COMMON,
        *STACK,
        *WAITING,
        "--skip-preflight",
        "--model-package",
        "--recreate-failed",
        "--dataset",
        "--replace-schema",
    ],
    "rollback": [*COMMON, *STACK, *WAITING, "--to", "--dataset", "--replace-schema"],
    "promote": [
        "--model-package",
        "--from",
        "--to",
        "--dataset",
        "--from-stack-outputs",
        "--stack-outputs",
        "--from-profile",
        "--from-role-arn",
        "--environments-dir",
        "--dry-run",
        "--output",
    ],
    "backup": [*COMMON, "--to", "--with-artifacts", *STACK],
    "restore": [*COMMON, "--from", "--dry-run", "--artifacts-map", "--images-map", *STACK],
    "recover": [
        *COMMON,
        "--region",
        "--from",
        "--artifacts-map",
        "--images-map",
        "--dry-run",
        *STACK,
        "--skip-preflight",
        "--approve-plan",
        "--auto-approve",
        *WAITING,
    ],
    "data restore": [*COMMON, "--prefix", "--to-time", "--dry-run", *STACK],
    "ui": ["--env", "--environments-dir", "--set", "--host", "--port", "--dataset", *STACK],
}


def help_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *words: str
) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # one line per command, whatever the terminal
    with pytest.raises(SystemExit) as exited:
        main([*words, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def listed_commands(text: str) -> dict[str, str]:
    """The ``name  help`` lines under ``positional arguments``, in order."""
    section = text.split("positional arguments:\n", 1)[1].split("\n\n", 1)[0]
    listed: dict[str, str] = {}
    for line in section.splitlines():
        if match := re.fullmatch(r" {4}(\S+)\s+(.+)", line):
            listed[match[1]] = match[2]
    return listed


def listed_flags(text: str) -> list[str]:
    """Every long flag of the ``options`` section but ``--help``, in the order they are listed."""
    section = text.split("options:\n", 1)[1]
    flags = re.findall(r"(?:^|[ ,])(--[a-z][a-z-]*)", section, flags=re.MULTILINE)
    return [flag for flag in dict.fromkeys(flags) if flag != "--help"]


def test_the_installed_orchestrator_help_lists_every_command() -> None:
    done = subprocess.run(
        [str(ORCHESTRATOR), "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert listed_commands(done.stdout) == TOP_LEVEL
    assert list(listed_commands(done.stdout)) == list(TOP_LEVEL)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_each_group_help_lists_its_commands(
    group: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = listed_commands(help_text(capsys, monkeypatch, group))
    assert list(listed.items()) == list(GROUPS[group].items())


@pytest.mark.parametrize("words", sorted(FLAGS))
def test_each_command_takes_the_flags_it_took_before(
    words: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert listed_flags(help_text(capsys, monkeypatch, *words.split())) == FLAGS[words]


# -- the registry --------------------------------------------------------------------------------
def _handler(_args: argparse.Namespace) -> int:
    return 0


def test_a_built_parser_runs_the_registered_handler_with_its_arguments() -> None:
    registry = Registry()
    registry.group("models", "the model registry")
    seen: list[argparse.Namespace] = []

    def approve(args: argparse.Namespace) -> int:
        seen.append(args)
        return 3

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("version", type=int)

    registry.command("models", "approve", help="approve", arguments=arguments)(approve)
    args = registry.build_parser("tool", "a tool").parse_args(["models", "approve", "7"])
    assert args.handler(args) == 3
    assert (seen[0].command, seen[0].action, seen[0].version) == ("models", "approve", 7)


# -- no argparse internals ------------------------------------------------------------------------
def _argparse_private_names() -> frozenset[str]:
    """argparse's private module names and the private attributes of its parsers and actions,
    collected from argparse itself so a new one is covered without editing this test."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    objects: list[object] = [
        argparse,
        parser,
        sub,
        parser.add_argument("--flag"),
        parser.add_argument_group("group"),
        parser.add_mutually_exclusive_group(),
        argparse.Namespace(),
    ]
    names = {name for obj in objects for name in [*dir(obj), *vars(obj)]}
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


ARGPARSE_PRIVATE = _argparse_private_names()


def argparse_internals(source: str) -> list[str]:
    """``line: name`` for every use of a private argparse name: ``x._actions``,
    ``argparse._SubParsersAction``, ``from argparse import _SubParsersAction``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and (
            node.attr in ARGPARSE_PRIVATE
            or (
                isinstance(node.value, ast.Name)
                and node.value.id == "argparse"
                and node.attr.startswith("_")
            )
        ):
            found.append(f"{node.lineno}: {node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "argparse":
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name.startswith("_")]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "for action in flags._actions:\n    run._add_action(action)\n",
            ["_actions", "_add_action"],
        ),
        ("def add(c: argparse._SubParsersAction) -> None: ...\n", ["_SubParsersAction"]),
        ("from argparse import ArgumentParser, _SubParsersAction\n", ["_SubParsersAction"]),
        ("parser._subparsers\nparser._option_string_actions\n", ["_subparsers"]),
        ("argparse._get_action_name(None)\n", ["_get_action_name"]),
        ("sub = parser.add_subparsers(dest='x').add_parser('y')\n", []),
    ],
)
def test_the_internals_check_fires_on_private_argparse_names(
    source: str, expected: list[str]
) -> None:
    names = [hit.split(": ", 1)[1] for hit in argparse_internals(source)]
    assert set(expected) <= set(names)
    assert bool(names) == bool(expected)


def test_the_cli_uses_no_argparse_internals() -> None:
    sources = sorted(CLI_SOURCES.rglob("*.py"))
    assert len(sources) > 10, f"found no CLI sources under {CLI_SOURCES}"
    hits = [
        f"{path.relative_to(CLI_SOURCES.parents[1])}:{hit}"
        for path in sources
        for hit in argparse_internals(path.read_text())
    ]
    assert not hits, "argparse private names in orchestrator/cli/ (use its public API):\n" + (
        "\n".join(hits)
    )
