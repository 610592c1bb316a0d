"""Helpers for the end-to-end tests: the real console scripts as subprocesses, and a lean local
environment file (2 tuning trials, short training) so one whole run takes 10-20 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
RUN_TIMEOUT_SECONDS = 300
STEPS = ["Preprocess", "Tune", "Evaluate", "QualityGate", "Register"]

LEAN_ENVIRONMENT = """\
name: local
backend: local
pipeline:
  approval: auto
  tuning:
    max_jobs: 2
    max_parallel_jobs: 2
    static_hyperparameters: {{num_round: 80, early_stopping_rounds: 10, seed: 42}}
endpoint:
  workers: 1
local:
  state_dir: {state_dir}
"""


def lean_environments(folder: Path) -> Path:
    """``folder/environments/local.yaml`` keeping its state in ``folder/state``."""
    environments = folder / "environments"
    environments.mkdir(parents=True, exist_ok=True)
    (environments / "local.yaml").write_text(LEAN_ENVIRONMENT.format(state_dir=folder / "state"))
    return environments


def run_program(program: str, *argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / program), *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def run_json(environments: Path, *argv: str | Path, cwd: Path) -> dict[str, Any]:
    """``orchestrator <argv> --env local --output json``; must exit 0 with a clean stderr tail."""
    done = run_program(
        "orchestrator",
        *argv,
        "--env",
        "local",
        "--environments-dir",
        environments,
        "--output",
        "json",
        cwd=cwd,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def lines(path: Path | str) -> list[str]:
    return Path(path).read_text().splitlines()


def steps_by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in summary["execution"]["steps"]}
