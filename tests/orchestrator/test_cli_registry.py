"""The command registry: one registration per command, groups declared once, and the commands
`orchestrator --help` lists (the scan for argparse internals is in test_cli_registry_help.py)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from orchestrator.cli.app import build_parser
from orchestrator.cli.registry import Command, Registry

COMMANDS = [
    "run",
    "executions",
    "models",
    "endpoint",
    "endpoint-test",  # issue 17: the serving version against its held-out rows
    "recommend",
    "monitor",  # issue 19: drift of captured requests (docs/monitoring.md)
    "logs",  # issue 19: an execution's or the endpoint's logs, local and CloudWatch
    "batch-transform",
    "schema",
    "render",
    "bootstrap",  # issue 17: the state bucket, before infra
    "infra",
    "image",
    "preflight",
    "pipeline",
    "deploy",
    "rollback",
    "promote",
    "backup",  # issue 22: disaster recovery (docs/dr.md)
    "restore",
    "recover",
    "data",
    "ui",  # issue 21: web pages (docs/ui.md)
]


def _handler(_args: object) -> int:
    return 0


def test_a_command_registered_twice_is_refused() -> None:
    registry = Registry()
    registry.add(Command(("run",), "run", _handler))
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(Command(("run",), "again", _handler))


def test_a_group_command_needs_its_group_and_a_group_is_not_a_command() -> None:
    registry = Registry()
    with pytest.raises(ValueError, match="group declared first"):
        registry.add(Command(("models", "list"), "list", _handler))
    registry.group("models", "the registry")
    registry.add(Command(("models", "list"), "list", _handler))
    with pytest.raises(ValueError, match="is a command group"):
        registry.add(Command(("models",), "models", _handler))
    with pytest.raises(ValueError, match="declared twice"):
        registry.group("models", "something else")


def test_help_lists_every_command_in_order() -> None:
    parser = build_parser()
    text = parser.format_help()
    listed = re.search(r"\{([a-z,-]+)\}", text)
    assert listed is not None and listed.group(1).split(",") == COMMANDS


def test_help_is_fast_and_imports_no_backend() -> None:
    script = (
        "import sys\nfrom orchestrator.cli.app import build_parser\nbuild_parser()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('orchestrator.backends', "
        "'orchestrator.flows', 'boto3', 'xgboost'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
