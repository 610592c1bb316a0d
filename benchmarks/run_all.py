"""Run the benchmarks and write ``benchmarks/results/latest.json`` and ``latest.md``.

``python -m benchmarks [all|serving|batch|training|local-run] [--quick] [--no-mlflow]``.
``--quick`` is for checking the harness (short runs, small data), never for figures.
Exit codes: 0 done (targets missed are reported, not failures), 1 a benchmark could not run
(the reason and the fix on stderr), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import fixtures
from .batch import run_batch
from .common import REPO, RESULTS, WORK, BenchmarkError, load_average, machine, write_json
from .report import markdown
from .serving import QUICK, ServingSettings, ratio_line, run_serving
from .serving_payloads import load_rows, rows_from_csv
from .training import run_training

SECTIONS = ("serving", "batch", "training", "local-run")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Serving, batch transform and training benchmarks (issue 6).",
    )
    parser.add_argument(
        "which",
        nargs="*",
        metavar="BENCHMARK",
        help=f"any of {', '.join(SECTIONS)} or all (the default)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short runs on small data: checks the harness, figures mean nothing",
    )
    parser.add_argument(
        "--no-mlflow",
        action="store_true",
        help="leave MLflow out of the serving benchmark (no venv install)",
    )
    args = parser.parse_args(argv)
    unknown = [w for w in args.which if w not in ("all", *SECTIONS)]
    if unknown:
        parser.error(
            f"invalid choice {', '.join(unknown)}: name benchmarks from "
            f"{', '.join(SECTIONS)} or all (or none, for all)"
        )
    return args


def _serving(quick: bool, with_mlflow: bool) -> dict[str, Any]:
    model = fixtures.demo_bundle()
    features = len(fixtures.load_bundle_feature_names(model))
    rows = load_rows(model, rows_from_csv(fixtures.demo_rows(), features))
    base = QUICK if quick else ServingSettings()
    settings = ServingSettings(**{**base.__dict__, "with_mlflow": with_mlflow})
    return run_serving(model, rows, settings, WORK / "serving")


def _training_and_batch(which: set[str], quick: bool, sections: dict[str, Any]) -> None:
    train_rows = 20_000 if quick else 1_000_000
    data = fixtures.synthetic_preprocessed(train_rows)
    training = run_training(data, WORK / "training", runs=1 if quick else 3)
    if "training" in which:
        sections["training"] = training
    if "batch" in which:
        small, large = (20_000, 80_000) if quick else (1_000_000, 4_000_000)
        sections["batch"] = run_batch(
            Path(training["model_dir"]),
            fixtures.batch_file(small),
            fixtures.batch_file(large),
            WORK / "batch",
        )


def _local_run() -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "local_run.py")], check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"benchmarks/local_run.py failed with exit {done.returncode}")
    return dict(json.loads((RESULTS / "local_run.json").read_text()))


def _ratio_lines(sections: dict[str, Any]) -> list[str]:
    lines = []
    if "serving" in sections:
        lines += [ratio_line(n, c["ratios"]) for n, c in sections["serving"]["cases"].items()]
    if "batch" in sections:
        b = sections["batch"]
        small, large = b["sizes"]["small"]["rows"], b["sizes"]["large"]["rows"]
        lines.append(
            f"batch {small / 1e6:g}M: ours/in-process rows/s = "
            f"{b['ratios']['ours_over_in_process_rows_per_second']:.2f}, peak mem "
            f"{large / 1e6:g}M/{small / 1e6:g}M = {b['ratios']['ours_peak_large_over_small']:.2f}"
        )
    if "training" in sections:
        t = sections["training"]
        lines.append(
            f"training {t['train_rows']:,} rows: ours/bare wall time = {t['ours_over_bare']:.2f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    which = set(SECTIONS) if not args.which or "all" in args.which else set(args.which)
    result: dict[str, Any] = {"machine": machine(), "quick": args.quick, "sections": {}}
    sections = result["sections"]
    try:
        if "serving" in which:
            sections["serving"] = _serving(args.quick, not args.no_mlflow)
        if which & {"training", "batch"}:
            _training_and_batch(which, args.quick, sections)
        if "local-run" in which and not args.quick:
            sections["local_run"] = _local_run()
    except BenchmarkError as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 1
    result["finished_at"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["loadavg_at_end"] = load_average()
    result["ratio_lines"] = _ratio_lines(sections)
    # Quick runs check the harness; their figures never land next to real results.
    out_dir = WORK / "quick-results" if args.quick else RESULTS
    json_path = write_json("latest", result, out_dir)
    (out_dir / "latest.md").write_text(markdown(result))
    print("\n".join(["", "ratios (same run):", *result["ratio_lines"]]))
    print(f"results: {json_path}, {out_dir / 'latest.md'}")
    return 0
