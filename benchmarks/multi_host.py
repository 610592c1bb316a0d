"""Training on 1, 2 and 4 local hosts (issue #18): wall time and test AUC of each, same data and
seed, and the overhead of several hosts over one on this machine.

The local runner runs N hosts as N processes on this machine's cores (each gets cores / N
threads), so no speed-up is expected here: the figure is the cost of XGBoost's collective
(tracker start-up, a histogram all-reduce per tree level over loopback TCP, the quantile sketch
merge) plus N processes loading their shards. Data: synthetic binary rows through the real
``preprocess`` with ``--train-parts 4`` (so 1, 2 and 4 hosts each get whole parts), cached in
``benchmarks/.work/multi-host-<rows>``. Not part of ``make bench``:

    .venv/bin/python -m benchmarks.multi_host [--train-rows 1000000] [--hosts 1,2,4]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ml_containers.bundle import load_bundle, safe_extract
from ml_containers.train.labeled_csv import data_files, read_labeled_csv
from sklearn.metrics import roc_auc_score

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.jobs import resolve_program
from orchestrator.backends.local.training import TrainingRequest, run_training_job

from .common import BIN, WORK, fmt, load_average, machine, ratio, run_checked, write_json
from .fixtures import TRAIN_FRACTION

PARTS = 4
HYPERPARAMETERS = {"num_round": "200", "early_stopping_rounds": "20", "seed": "7", "max_depth": "6"}


def prepared(train_rows: int, work: Path = WORK) -> Path:
    """The preprocess output (train split in 4 parts); made once and cached."""
    folder = work / f"multi-host-{train_rows}"
    output = folder / "processing" / "output"
    if (folder / ".complete").exists():
        return output
    shutil.rmtree(folder, ignore_errors=True)
    data = folder / "processing" / "input" / "data"
    schema = folder / "processing" / "input" / "schema"
    data.mkdir(parents=True)
    schema.mkdir(parents=True)
    rows = str(round(train_rows / TRAIN_FRACTION))
    run_checked(
        [
            *(
                str(BIN / "generate-data"),
                "synthetic",
                "--rows",
                rows,
                "--out",
                str(data / "d.csv"),
            ),
            *("--schema-out", str(schema / "schema.yaml"), "--seed", "7"),
        ],
        "generate-data synthetic",
    )
    run_checked(
        [str(BIN / "preprocess"), "--train-parts", str(PARTS)],
        "preprocess",
        env={"OPT_ML_ROOT": str(folder)},
    )
    (folder / ".complete").touch()
    return output


def _request(hosts: int) -> TrainingRequest:
    def channel(name: str) -> dict[str, Any]:
        sharded = "ShardedByS3Key" if name == "train" else "FullyReplicated"
        source = {"S3DataType": "S3Prefix", "S3Uri": f"s3://bench/data/{name}"}
        entry: dict[str, Any] = {
            "ChannelName": name,
            "DataSource": {"S3DataSource": {**source, "S3DataDistributionType": sharded}},
        }
        if name != "transform":
            entry["ContentType"] = "text/csv"
        return entry

    definition = {
        "AlgorithmSpecification": {"TrainingImage": "local", "TrainingInputMode": "File"},
        "InputDataConfig": [channel(n) for n in ("train", "validation", "transform")],
        "OutputDataConfig": {"S3OutputPath": "s3://bench/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": hosts},
    }
    name = f"bench-{hosts}-hosts"
    return TrainingRequest("Train", name, name, dict(HYPERPARAMETERS), definition, threads=2)


def _auc(store: ArtifactStore, uri: str, output: Path, work: Path) -> float:
    target = work / "model"
    shutil.rmtree(target, ignore_errors=True)
    safe_extract(store.path(uri), target)
    bundle = load_bundle(target)
    width = len(bundle.manifest.feature_names)
    test = read_labeled_csv(data_files(output / "test"), width, "the test split")
    return float(roc_auc_score(test.labels, bundle.predict(test.features)[:, 1]))


def run(train_rows: int, host_counts: list[int], work: Path = WORK) -> dict[str, Any]:
    output = prepared(train_rows, work)
    scratch = work / "multi-host-runs"
    shutil.rmtree(scratch, ignore_errors=True)
    store = ArtifactStore(scratch / "store")
    for name in ("train", "validation", "transform"):
        store.publish(output / name, f"s3://bench/data/{name}")
    cases = []
    for hosts in host_counts:
        started = time.monotonic()
        properties = run_training_job(
            _request(hosts),
            store=store,
            opt_ml_root=scratch / f"{hosts}-hosts",
            log_path=scratch / "logs" / f"{hosts}-hosts.log",
            train_command=[resolve_program("train")],
        )
        seconds = time.monotonic() - started
        auc = _auc(store, properties["ModelArtifacts"]["S3ModelArtifacts"], output, scratch)
        cases.append({"hosts": hosts, "seconds": round(seconds, 2), "test_auc": round(auc, 6)})
        print(f"{hosts} host(s): {seconds:.1f} s, test AUC {auc:.6f}", flush=True)
    base = cases[0]
    for case in cases:
        case["wall_time_vs_1_host"] = round(ratio(case["seconds"], base["seconds"]), 3)
        case["auc_minus_1_host"] = round(case["test_auc"] - base["test_auc"], 6)
    return {
        "machine": machine(),
        "train_rows": train_rows,
        "train_parts": PARTS,
        "hyperparameters": HYPERPARAMETERS,
        "cases": cases,
        "loadavg_at_end": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multi_host")
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--hosts", default="1,2,4", help="host counts, the first is the baseline")
    args = parser.parse_args(argv)
    counts = [int(x) for x in args.hosts.split(",")]
    result = run(args.train_rows, counts)
    path = write_json("multi_host", result)
    for case in result["cases"]:
        print(
            f"{case['hosts']} hosts: {fmt(case['seconds'], 1)} s "
            f"({fmt(case['wall_time_vs_1_host'])}x 1 host), test AUC {case['test_auc']:.6f} "
            f"({case['auc_minus_1_host']:+.6f})"
        )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
