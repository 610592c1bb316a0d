"""Training overhead benchmark: ``train`` (the SageMaker entry point, as a process: channel
checks, CSV reading, label checks, early stopping, metrics, the bundle) vs a bare
``xgboost.train`` process with the same parameters and data (``bare_train.py``). Runs alternate
so machine load drifts hit both alike; wall times are whole processes, imports included.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from .common import BIN, REPO, fmt, median, ratio, run_checked
from .fixtures import PreprocessedData, train_job_root


def run_ours(data: PreprocessedData, root: Path) -> tuple[float, Path]:
    train_job_root(root, data, {})
    started = time.perf_counter()
    run_checked([str(BIN / "train")], "train", env={"OPT_ML_ROOT": str(root)})
    return time.perf_counter() - started, root / "model"


def run_bare(data: PreprocessedData, manifest: Path, out_model: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = run_checked(
        [
            sys.executable,
            "-m",
            "benchmarks.bare_train",
            str(data.output),
            str(manifest),
            str(out_model),
        ],
        "bare xgboost.train",
        cwd=REPO,
    )
    seconds = time.perf_counter() - started
    return seconds, int(json.loads(done.stdout.strip().splitlines()[-1])["rounds_trained"])


def run_training(data: PreprocessedData, work: Path, runs: int = 3) -> dict[str, Any]:
    """Returns the figures and the model directory of the last ``train`` run (``model_dir``)."""
    work.mkdir(parents=True, exist_ok=True)
    ours_seconds: list[float] = []
    bare_seconds: list[float] = []
    model_dir = work / "ours" / "model"
    bare_rounds = 0
    for _ in range(runs):
        seconds, model_dir = run_ours(data, work / "ours")
        ours_seconds.append(seconds)
        seconds, bare_rounds = run_bare(data, model_dir / "manifest.json", work / "bare.ubj")
        bare_seconds.append(seconds)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    ours, bare = median(ours_seconds), median(bare_seconds)
    result = {
        "train_rows": manifest["training_rows"]["train"],
        "validation_rows": manifest["training_rows"]["validation"],
        "features": len(manifest["feature_names"]),
        "rounds_trained": {"ours": manifest["rounds_trained"], "bare": bare_rounds},
        "ours_seconds": [round(s, 2) for s in ours_seconds],
        "bare_seconds": [round(s, 2) for s in bare_seconds],
        "ours_median_seconds": round(ours, 2),
        "bare_median_seconds": round(bare, 2),
        "ours_over_bare": round(ratio(ours, bare), 3),
        "model_dir": str(model_dir),
    }
    result["targets"] = {
        "train wall time ours/bare <= 1.1": {
            "value": result["ours_over_bare"],
            "target": 1.1,
            "met": result["ours_over_bare"] <= 1.1,
        },
    }
    print(
        f"training {result['train_rows']:,} rows x {result['features']} features: ours "
        f"{ours:.1f} s ({manifest['rounds_trained']} rounds), bare xgboost.train {bare:.1f} s "
        f"({bare_rounds} rounds)"
    )
    print(
        f"training {result['train_rows'] / 1e6:.2g}M: ours/bare wall time = "
        f"{fmt(result['ours_over_bare'])}",
        flush=True,
    )
    return result
