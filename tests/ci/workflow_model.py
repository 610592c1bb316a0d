"""The repository's GitHub Actions workflows as data: jobs, their steps, and each `run:` step's
commands in order, split into argv the way bash would for the simple lines we allow.

Every run step must be `make ...`, `orchestrator ...` or one of ALLOWED_BUILTINS (issue #17:
"each job calls the orchestrator CLI only"), so the commands a workflow runs are exactly the
CLI's, and tests can check them against the CLI's own parser.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"

# The one shell line besides make/orchestrator: put the venv `make install` created on PATH.
ALLOWED_BUILTINS = ('echo "$GITHUB_WORKSPACE/.venv/bin" >> "$GITHUB_PATH"',)
PROGRAMS = ("orchestrator", "make")
CONFIGURE_AWS = "aws-actions/configure-aws-credentials"


@dataclass(frozen=True)
class Command:
    """One line of a run step: argv without the program, and where its stdout goes."""

    workflow: str
    job: str
    line: str
    program: str
    argv: tuple[str, ...]
    redirect: str | None

    @property
    def label(self) -> str:
        return f"{self.workflow}:{self.job}: {self.line}"


def load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in sorted(WORKFLOWS_DIR.glob("*.y*ml"))}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def assumes_role(job: dict[str, Any]) -> bool:
    return any(str(step.get("uses", "")).startswith(f"{CONFIGURE_AWS}@") for step in steps(job))


def run_lines(job: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for step in steps(job):
        if "run" in step:
            lines.extend(line.strip() for line in str(step["run"]).splitlines() if line.strip())
    return lines


def parse_line(workflow: str, job: str, line: str) -> Command | None:
    """The command of an allowed line (None for an allowed builtin); ValueError otherwise."""
    if line in ALLOWED_BUILTINS:
        return None
    if re.search(r"[;&|<`]|\$\(", line):
        raise ValueError(f"{workflow}:{job}: {line!r} chains or substitutes commands")
    words = shlex.split(line, comments=True)
    if not words or words[0] not in PROGRAMS:
        raise ValueError(
            f"{workflow}:{job}: {line!r} is not make, orchestrator or an allowed builtin"
        )
    redirect = None
    for operator in (">>", ">"):
        if operator in words:
            at = words.index(operator)
            if at != len(words) - 2:
                raise ValueError(f"{workflow}:{job}: {line!r}: a redirect must end the line")
            redirect, words = words[-1], words[:at]
            break
    return Command(workflow, job, line, words[0], tuple(words[1:]), redirect)


def commands(workflow: str, data: dict[str, Any]) -> list[Command]:
    """Every make/orchestrator command of a workflow, job by job in file order."""
    found: list[Command] = []
    for job_id, job in data.get("jobs", {}).items():
        for line in run_lines(job):
            command = parse_line(workflow, job_id, line)
            if command is not None:
                found.append(command)
    return found


def option(argv: tuple[str, ...], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` in argv."""
    for index, word in enumerate(argv):
        if word == name and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
    return None
