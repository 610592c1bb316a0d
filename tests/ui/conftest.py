"""Fixtures of the UI tests: one local run shared by every test (the lean environment of
tests/e2e, ~15 s: a run that registers version 1 Approved and serves it, and a cached rerun that
registers version 2 PendingManualApproval), an ``orchestrator ui`` on 127.0.0.1 over it, and
Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import BIN, lean_environments, run_json, run_program

CHROMIUM = Path(os.environ.get("MLOPS_CHROMIUM", "/usr/bin/chromium"))
SERVER_START_SECONDS = 30


@dataclass(frozen=True)
class UiRun:
    folder: Path
    environments: Path
    first: dict  # `run --output json` of the first run
    second: dict
    drift: dict  # `monitor run --output json` over the runs' captured requests


@pytest.fixture(scope="session")
def ui_run(tmp_path_factory: pytest.TempPathFactory) -> UiRun:
    folder = tmp_path_factory.mktemp("ui-run")
    environments = lean_environments(folder)
    first = run_json(environments, "run", cwd=folder)
    second = run_json(
        environments, "run", "--parameter", "ModelApprovalStatus=PendingManualApproval", cwd=folder
    )
    # The runs' own test requests were captured: enough for a verdict at 10 rows. Either verdict
    # will do (exit 0 no drift, 1 drift): the pages must show the one `monitor run` printed.
    done = run_program(
        "orchestrator", "monitor", "run", "--env", "local", "--environments-dir", environments,
        "--set", "monitoring.min_rows=10", "--output", "json", cwd=folder,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    drift = json.loads(done.stdout)
    assert drift["status"] == ("ok", "drift")[done.returncode]
    return UiRun(folder, environments, first, second, drift)


def start_ui(
    run: UiRun, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``orchestrator ui --port 0`` over ``run``; (the process, its URL from the first line)."""
    process = subprocess.Popen(
        [str(BIN / "orchestrator"), "ui", "--env", "local", "--environments-dir",
         str(run.environments), "--port", "0", *extra],
        cwd=run.folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if "serving" not in line:
        process.kill()
        raise AssertionError(f"orchestrator ui did not start: {line}{process.stderr.read()}")  # type: ignore[union-attr]
    return process, line.strip().rsplit(" ", 1)[-1]


def stop(process: subprocess.Popen[str]) -> str:
    """Stop the server (SIGTERM, then SIGKILL); its stderr."""
    process.terminate()
    try:
        _out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return err


@pytest.fixture(scope="session")
def ui_url(ui_run: UiRun) -> Iterator[str]:
    process, url = start_ui(ui_run)
    yield url
    err = stop(process)
    assert "Traceback" not in err, err


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium (`make test` installs it as root). Not root and missing: skipped by
    name; as root (CI) a missing browser fails, so CI never skips the browser tests."""
    if CHROMIUM.exists() or shutil.which("chromium"):
        return CHROMIUM if CHROMIUM.exists() else Path(str(shutil.which("chromium")))
    if os.geteuid() == 0:
        pytest.fail(
            f"{CHROMIUM} is missing; `make test` installs it as root (apt-get install chromium)"
        )
    pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}): apt-get install -y chromium")
