"""Batch transform benchmark: our batch path (the local batch transform streaming a CSV through
``serve`` with 2 workers) vs the minimal in-process pipeline on the same file, with the model
``train`` fitted on the synthetic data: rows/s and peak memory at 1M rows, peak memory again at
4M rows (flat memory means streaming, not loading the file).

Peak memory of our path is the batch client's plus every ``serve`` process's high-water mark
(an upper bound: the peaks need not coincide); each size gets a fresh server.
"""

from __future__ import annotations

import json
import sys
from itertools import zip_longest
from pathlib import Path
from typing import Any

from .common import BenchmarkError, fmt, ratio, run_checked
from .procfs import descendants, peak_rss_bytes
from .serving import start_ours

MB = 1 << 20


def _job(kind: str, target: str, input_path: Path, output_path: Path) -> dict[str, Any]:
    done = run_checked(
        [
            sys.executable,
            "-m",
            "benchmarks.batch_jobs",
            kind,
            target,
            str(input_path),
            str(output_path),
        ],
        f"the {kind} batch pipeline",
        cwd=Path(__file__).resolve().parents[1],
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_ours(model_dir: Path, input_path: Path, work: Path, workers: int) -> dict[str, Any]:
    output = work / f"{input_path.stem}.ours.out"
    with start_ours(model_dir, workers, work / "logs") as server:
        server.wait_ready()
        job = _job("ours", server.url, input_path, output)
        server_peaks = [peak_rss_bytes(p) for p in [server.pid, *descendants(server.pid)]]
    peak = job["peak_rss_bytes"] + sum(server_peaks)
    return {
        "seconds": round(job["seconds"], 2),
        "rows_per_second": round(job["records"] / job["seconds"]),
        "records": job["records"],
        "peak_mb": round(peak / MB, 1),
        "client_peak_mb": round(job["peak_rss_bytes"] / MB, 1),
        "server_process_peaks_mb": [round(p / MB, 1) for p in server_peaks],
    }


def measure_in_process(model_dir: Path, input_path: Path, work: Path) -> dict[str, Any]:
    output = work / f"{input_path.stem}.in-process.out"
    job = _job("in-process", str(model_dir), input_path, output)
    return {
        "seconds": round(job["seconds"], 2),
        "rows_per_second": round(job["records"] / job["seconds"]),
        "records": job["records"],
        "peak_mb": round(job["peak_rss_bytes"] / MB, 1),
    }


def check_same_predictions(ours: Path, in_process: Path, source: Path) -> None:
    """Both pipelines must write the same label and probabilities for every row (the in-process
    one quotes labels); the outputs are deleted once compared."""
    try:
        with ours.open("rb") as mine, in_process.open("rb") as theirs:
            for number, (a, b) in enumerate(zip_longest(mine, theirs), start=1):
                if a is None or b is None:
                    raise BenchmarkError(f"the pipelines wrote different row counts for {source}")
                if not _same_prediction(a, b):
                    raise BenchmarkError(
                        f"the pipelines predict differently for row {number} of {source}: "
                        f"{a!r} vs {b!r}"
                    )
    finally:
        ours.unlink(missing_ok=True)
        in_process.unlink(missing_ok=True)


def _same_prediction(ours: bytes, theirs: bytes) -> bool:
    left, right = ours.rstrip(b"\r\n").split(b","), theirs.rstrip(b"\r\n").split(b",")
    if len(left) != len(right) or left[0] != right[0].strip(b'"'):
        return False
    return all(abs(float(x) - float(y)) <= 1e-6 for x, y in zip(left[1:], right[1:], strict=True))


def run_batch(
    model_dir: Path, small: Path, large: Path, work: Path, workers: int = 2
) -> dict[str, Any]:
    """``small`` is the 1M-row file (speed and memory), ``large`` the 4M-row one (memory)."""
    work.mkdir(parents=True, exist_ok=True)
    sizes: dict[str, dict[str, Any]] = {}
    for label, path in (("small", small), ("large", large)):
        ours = measure_ours(model_dir, path, work, workers)
        minimal = measure_in_process(model_dir, path, work)
        if ours["records"] != minimal["records"]:
            raise BenchmarkError(
                f"the pipelines disagree on {path}: {ours['records']} vs {minimal['records']} rows"
            )
        check_same_predictions(
            work / f"{path.stem}.ours.out", work / f"{path.stem}.in-process.out", path
        )
        sizes[label] = {"rows": ours["records"], "ours": ours, "in_process": minimal}
        print(
            f"batch {ours['records']:,} rows: ours {fmt(ours['rows_per_second'])} rows/s, "
            f"peak {ours['peak_mb']} MB (client {ours['client_peak_mb']} MB + serve "
            f"{ours['server_process_peaks_mb']} MB); in-process "
            f"{fmt(minimal['rows_per_second'])} rows/s, peak {minimal['peak_mb']} MB",
            flush=True,
        )
    s, lg = sizes["small"], sizes["large"]
    ratios = {
        "ours_over_in_process_rows_per_second": round(
            ratio(s["ours"]["rows_per_second"], s["in_process"]["rows_per_second"]), 3
        ),
        "ours_peak_large_over_small": round(ratio(lg["ours"]["peak_mb"], s["ours"]["peak_mb"]), 3),
        "in_process_peak_large_over_small": round(
            ratio(lg["in_process"]["peak_mb"], s["in_process"]["peak_mb"]), 3
        ),
    }
    print(
        f"batch {s['rows'] / 1e6:g}M: ours/in-process rows/s = "
        f"{fmt(ratios['ours_over_in_process_rows_per_second'])}, peak mem "
        f"{lg['rows'] / 1e6:g}M/{s['rows'] / 1e6:g}M = {fmt(ratios['ours_peak_large_over_small'])}"
        f" (in-process {fmt(ratios['in_process_peak_large_over_small'])})",
        flush=True,
    )
    return {
        "workers": workers,
        "sizes": sizes,
        "ratios": ratios,
        "targets": {
            "ours/in-process rows/s >= 0.7": {
                "value": ratios["ours_over_in_process_rows_per_second"],
                "target": 0.7,
                "met": ratios["ours_over_in_process_rows_per_second"] >= 0.7,
            },
            "ours/in-process rows/s >= 0.9 (issue 20)": {
                "value": ratios["ours_over_in_process_rows_per_second"],
                "target": 0.9,
                "met": ratios["ours_over_in_process_rows_per_second"] >= 0.9,
            },
            "peak mem large/small <= 1.2": {
                "value": ratios["ours_peak_large_over_small"],
                "target": 1.2,
                "met": ratios["ours_peak_large_over_small"] <= 1.2,
            },
        },
    }
