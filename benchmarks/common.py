"""What every benchmark shares: where things live, machine facts, the error type, medians and
result files. Kept here so each benchmark module only says what it measures."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work"  # gitignored: data, models, venvs, logs
RESULTS = REPO / "benchmarks" / "results"
BIN = Path(sys.executable).parent  # the project's virtualenv (serve, train, gunicorn, ...)


class BenchmarkError(RuntimeError):
    """A benchmark cannot run (missing tool, failed setup step); the message says what to do."""


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare a table with theirs (2 shared cores matter a lot)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": load_average(),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load: the figures are only meaningful on a quiet machine."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero (a peer that failed)."""
    return numerator / denominator if denominator else float("nan")


def run_checked(
    command: Sequence[str],
    what: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a setup step; on failure raise with the step's name and the tail of its stderr."""
    done = subprocess.run(
        list(command),
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout)[-2000:]
        raise BenchmarkError(f"{what} failed (exit {done.returncode}): {' '.join(command)}\n{tail}")
    return done


def write_json(name: str, data: Mapping[str, Any], results_dir: Path = RESULTS) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def fmt(value: float, digits: int = 2) -> str:
    """A figure for a table or a ratio line; NaN (no peer) as 'n/a'."""
    if value != value:  # NaN
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"
