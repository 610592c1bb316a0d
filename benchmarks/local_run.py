"""Wall time of ``orchestrator run --env local`` on the demo data: a cold run (fresh state
folder) and a second run that reuses cached steps, in one session on this machine.

Issue target: the whole cold run under a minute on 2 cores. Prints the figures and writes
``benchmarks/results/local_run.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def run_once(environments: Path, workdir: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "orchestrator"), "run", "--env", "local", "--output",
         "json", "--environments-dir", str(environments)],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"orchestrator run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return elapsed, json.loads(done.stdout)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-local-run-") as scratch:
        workdir = Path(scratch)
        cold, summary = run_once(REPO / "environments", workdir)
        warm, warm_summary = run_once(REPO / "environments", workdir)
    cached = [s["name"] for s in warm_summary["execution"]["steps"] if s["cached"]]
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "cold_seconds": round(cold, 1),
        "cached_seconds": round(warm, 1),
        "cached_steps": cached,
        "steps_cold": {s["name"]: s["seconds"] for s in summary["execution"]["steps"]},
        "test_metrics": summary.get("metrics", {}),
        "target_seconds": TARGET_SECONDS,
    }  # fmt: skip
    out = REPO / "benchmarks" / "results" / "local_run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"local run cold: {cold:.1f} s, cached: {warm:.1f} s (cached steps: {', '.join(cached)})")
    print(f"steps (cold): {result['steps_cold']}")
    print(f"local run: cold/target = {cold / TARGET_SECONDS:.2f}, cached/cold = {warm / cold:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
