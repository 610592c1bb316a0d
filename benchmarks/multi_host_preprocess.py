"""Preprocessing on 1 and 2 local hosts (issue #18): rows per second of each, and whether the
2-host outputs equal the 1-host outputs.

Both cases run the real ``preprocess`` program through the local runner's processing path
(``run_processing``: one process per host, the data input ShardedByS3Key so each host gets whole
files in key order, XGBoost's collective on 127.0.0.1), on the same files. The local runner puts
N hosts on this machine's cores, so 2 hosts on 2 cores is the best case for a speed-up here; the
figure also carries the distributed path's own costs (rows kept in a spool until the hosts agree
on duplicates, and the two exchanges). Identity: every split's
files concatenated in name order (one train part per host here, so name order is host order),
the transform and the report (host count and per-host hash memory aside) are compared byte for
byte. Not part of ``make bench``:

    .venv/bin/python -m benchmarks.multi_host_preprocess [--rows 1000000] [--files 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.processing import run_processing
from orchestrator.pipeline import names

from .common import BIN, WORK, fmt, load_average, machine, ratio, run_checked, write_json

COMPARED = {"train": "train", "validation": "validation", "test": "test", "batch": "batch"}


def prepared(rows: int, files: int, work: Path = WORK) -> Path:
    """Synthetic rows cut into ``files`` CSV files with the header on each; made once."""
    folder = work / f"preprocess-hosts-{rows}-{files}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "data").mkdir(parents=True)
    whole = folder / "whole.csv"
    command = [str(BIN / "generate-data"), "synthetic", "--rows", str(rows), "--out", str(whole)]
    schema = folder / "schema" / "schema.yaml"
    run_checked([*command, "--schema-out", str(schema), "--seed", "11"], "generate-data synthetic")
    with whole.open() as source:
        header = source.readline()
        lines = source.readlines()
    for k in range(files):
        part = lines[k * len(lines) // files : (k + 1) * len(lines) // files]
        (folder / "data" / f"rows-{k:03d}.csv").write_text(header + "".join(part))
    whole.unlink()
    (folder / ".complete").touch()
    return folder


def _arguments(hosts: int) -> dict[str, Any]:
    def source(name: str, uri: str, path: str, distribution: str) -> dict[str, Any]:
        s3 = {"S3Uri": uri, "LocalPath": path, "S3DataDistributionType": distribution}
        return {"InputName": name, "S3Input": s3}

    outputs = [
        {
            "OutputName": name,
            "S3Output": {
                "S3Uri": f"s3://bench/out-{hosts}/{name}",
                "LocalPath": f"{names.PROCESSING_OUTPUT_ROOT}/{name}",
            },
        }
        for name in names.PREPROCESS_OUTPUTS
    ]
    return {
        "AppSpecification": {"ContainerEntrypoint": ["preprocess"]},
        "ContainerArguments": [],
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": hosts, "InstanceType": "ml.m5.xlarge"}
        },
        "ProcessingInputs": [
            source("data", "s3://bench/in/data", names.PROCESSING_INPUT_DATA, "ShardedByS3Key"),
            source(
                "schema", "s3://bench/in/schema", names.PROCESSING_INPUT_SCHEMA, "FullyReplicated"
            ),
        ],
        "ProcessingOutputConfig": {"Outputs": outputs},
    }


def _split_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("*.csv")))


def _report(folder: Path) -> dict[str, Any]:
    report = json.loads((folder / "report.json").read_text())
    report.pop("hosts", None)
    report["duplicate_check"].pop("hash_memory_bytes")
    return report


def _identical(store: ArtifactStore, one: int, other: int) -> dict[str, bool]:
    """Per output: are the ``other``-host outputs those of ``one`` host?"""
    base, run = store.path(f"s3://bench/out-{one}"), store.path(f"s3://bench/out-{other}")
    same = {
        name: _split_bytes(base / name) == _split_bytes(run / name)
        for name in ("train", "validation", "test")
    }
    same["batch"] = all(
        _split_bytes_glob(base / "batch", stem) == _split_bytes_glob(run / "batch", stem)
        for stem in ("batch", "labels")
    )
    same["transform"] = (base / "transform" / "transform.json").read_bytes() == (
        run / "transform" / "transform.json"
    ).read_bytes()
    same["report"] = _report(base / "report") == _report(run / "report")
    return same


def _split_bytes_glob(folder: Path, stem: str) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob(f"{stem}*.csv")))


def run(rows: int, files: int, host_counts: list[int], work: Path = WORK) -> dict[str, Any]:
    data = prepared(rows, files, work)
    scratch = work / "preprocess-hosts-runs"
    shutil.rmtree(scratch, ignore_errors=True)
    store = ArtifactStore(scratch / "store")
    store.publish(data / "data", "s3://bench/in/data")
    store.publish(data / "schema", "s3://bench/in/schema")
    cases = []
    for hosts in host_counts:
        started = time.monotonic()
        run_processing(
            "Preprocess",
            _arguments(hosts),
            store=store,
            opt_ml_root=scratch / f"{hosts}-hosts",
            log_path=scratch / "logs" / f"{hosts}-hosts.log",
            job_name=f"bench-preprocess-{hosts}",
            job_arn=f"arn:aws:sagemaker:local:0:processing-job/bench-preprocess-{hosts}",
        )
        seconds = time.monotonic() - started
        case: dict[str, Any] = {"hosts": hosts, "seconds": round(seconds, 2)}
        case["rows_per_second"] = round(rows / seconds)
        cases.append(case)
        print(f"{hosts} host(s): {seconds:.1f} s, {case['rows_per_second']} rows/s", flush=True)
    base = cases[0]
    for case in cases:
        case["rows_per_second_vs_1_host"] = round(
            ratio(case["rows_per_second"], base["rows_per_second"]), 3
        )
        case["outputs_identical_to_1_host"] = _identical(store, base["hosts"], case["hosts"])
    return {
        "machine": machine(),
        "rows": rows,
        "input_files": files,
        "cases": cases,
        "loadavg_at_end": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multi_host_preprocess")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--files", type=int, default=8, help="input CSV files the rows are cut into"
    )
    parser.add_argument("--hosts", default="1,2", help="host counts, the first is the baseline")
    args = parser.parse_args(argv)
    if args.rows < 1000 or args.files < 1:
        parser.error("--rows must be at least 1000 and --files at least 1")
    counts = [int(x) for x in args.hosts.split(",")]
    result = run(args.rows, args.files, counts)
    path = write_json("multi_host_preprocess", result)
    for case in result["cases"]:
        same = case["outputs_identical_to_1_host"]
        print(
            f"{case['hosts']} hosts: {fmt(case['seconds'], 1)} s, "
            f"{fmt(case['rows_per_second_vs_1_host'])}x the rows/s of 1 host, outputs identical: "
            f"{all(same.values())} {same}"
        )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
