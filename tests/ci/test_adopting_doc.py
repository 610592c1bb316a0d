"""docs/adopting.md promises that every command in it is exercised by a test. Here: each
``orchestrator`` line of its shell blocks is a command the CLI registers with flags its own
parser accepts (placeholders filled), and each names a test module that runs that command; a
renamed command or flag fails here instead of in a team's first afternoon."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from orchestrator.cli.app import build_parser

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "adopting.md"
# Where each command of the guide runs for real (against moto, Terraform's stand-in provider,
# the local registry or the local backend).
EXERCISED_BY = {
    "render": "tests/orchestrator/test_render.py",
    "bootstrap": "tests/bootstrap/test_bootstrap_state.py",
    "preflight": "tests/preflight/test_cli_preflight.py",
    "infra": "tests/orchestrator/test_cli_plan_approval.py",
    "image": "tests/orchestrator/test_cli_image_push.py",
    "run": "tests/orchestrator/test_cli_aws.py",
    "deploy": "tests/orchestrator/test_cli_aws.py",
    "endpoint-test": "tests/orchestrator/test_cli_endpoint_test_aws.py",
    "promote": "tests/aws/test_promote.py",
    "models": "tests/orchestrator/test_cli_aws.py",
    "endpoint": "tests/orchestrator/test_cli_deploy_history.py",
    "rollback": "tests/orchestrator/test_cli_deploy_history.py",
    "executions": "tests/conformance/test_pipeline_rerun_conformance.py",
    "pipeline": "tests/orchestrator/test_cli_pipeline_definition.py",
}
PLACEHOLDER = re.compile(r"<[^>]+>")


def guide_commands() -> list[list[str]]:
    """Every ``orchestrator`` command of the guide's ``sh`` blocks (``&&`` splits, ``\\``
    continues, ``...`` and ``#`` comments dropped, placeholders filled)."""
    text = DOC.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    found = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            for part in line.split("&&"):
                words = shlex.split(PLACEHOLDER.sub("1", part), comments=True)
                words = [w for w in words if w != "..."]
                if ">" in words:  # a redirect ends the command
                    words = words[: words.index(">")]
                if words and words[0] == "orchestrator":
                    found.append(words[1:])
    return found


COMMANDS = guide_commands()


def test_the_guide_walks_every_step() -> None:
    named = {words[0] for words in COMMANDS}
    assert {"render", "bootstrap", "infra", "image", "run", "deploy", "promote"} <= named


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(w[:2]) for w in COMMANDS])
def test_each_command_of_the_guide_parses_and_is_exercised(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    parser: argparse.ArgumentParser = build_parser()
    try:
        parser.parse_args(words)
    except SystemExit as exit_:
        pytest.fail(f"orchestrator {' '.join(words)}: {capsys.readouterr().err} ({exit_.code})")
    exercised = REPO / EXERCISED_BY[words[0]]
    assert exercised.is_file(), f"{words[0]}: {exercised} is gone"
    assert f'"{words[0]}"' in exercised.read_text(), f"{exercised} does not run {words[0]}"
