"""``train``: the SageMaker training-job entry point (SageMaker runs the image with ``train``).

Reads ``/opt/ml/input/config/hyperparameters.json`` and the ``train``, ``validation`` and
``transform`` channels, fits XGBoost with early stopping, prints ``train:<metric>=<value>`` and
``validation:<metric>=<value>`` lines for the tuner, and writes the model bundle to
``/opt/ml/model``. Any failure ends with exit 1 and its reason in ``/opt/ml/output/failure``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import paths
from ..cluster import SINGLE_HOST, Cluster, collective, global_sum, read_cluster, tracking
from ..schema import DatasetSchema, ProblemType
from ..transform import FittedTransform
from .booster import build_matrices, fit
from .channels import (
    channel_files,
    check_input_data_config,
    load_preprocessing_bundle,
    read_input_data_config,
    sharded_channels,
)
from .failure import JobFailure, run_job
from .hyperparameters import TrainingConfig, parse_hyperparameters
from .labeled_csv import (
    LabeledData,
    check_binary_classes_present,
    check_labels,
    read_labeled_csv,
)
from .output import write_bundle


def job_cores() -> int:
    """Cores this process may use (the container's, not the host's, when pinned by cgroups)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_hyperparameters() -> dict[str, Any]:
    """The job's hyperparameters; none at all is fine (every one has a default)."""
    path = paths.hyperparameters_file()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError) as exc:
        raise JobFailure(f"cannot read hyperparameters from {path}: {exc}") from None
    if not isinstance(data, dict):
        raise JobFailure(f"{path} must hold a JSON object of hyperparameter names to strings")
    return data


def train() -> None:
    started = time.monotonic()
    cluster = read_cluster()
    check_input_data_config(read_input_data_config(paths.input_data_config_file()))
    schema, transform, transform_dir = load_preprocessing_bundle()
    config = parse_hyperparameters(read_hyperparameters(), schema, job_cores())
    with tracking(cluster):  # before loading data: the others join once they loaded theirs
        _train(cluster, schema, transform, transform_dir, config, started)


def _read_split(
    cluster: Cluster, channel: str, schema: DatasetSchema, n_features: int
) -> LabeledData:
    """This host's rows of a channel. On several hosts a host's shard may be empty (fewer files
    than hosts under ShardedByS3Key): it joins with no rows, as long as some host has rows."""
    what = f"the {channel} channel"
    files = channel_files(channel, allow_empty=cluster.distributed)
    data = read_labeled_csv(files, n_features, what, allow_empty=cluster.distributed)
    check_labels(data.labels, schema, what)
    return data


def _check_global(
    cluster: Cluster, data: LabeledData, schema: DatasetSchema, what: str, sharded: bool
) -> int:
    """Rows of ``what`` over every host (a replicated channel's rows once) and, for binary, both
    classes present; every host calls it alike (its all-reduces are collective)."""
    if not sharded:
        cluster = SINGLE_HOST  # every host holds the whole channel: its own rows are the rows
    rows = int(global_sum(cluster, np.array([data.rows], dtype=np.float64))[0])
    if rows == 0:
        raise JobFailure(
            f"{what} has no data rows on any of the hosts {list(cluster.hosts)}; point it at the "
            "split preprocess wrote"
        )
    if schema.problem_type is ProblemType.BINARY:
        counts = np.bincount(data.labels.astype(np.int64), minlength=2).astype(np.float64)
        present = np.nonzero(global_sum(cluster, counts[:2]))[0].astype(np.float64)
        check_binary_classes_present(present, schema, what)
    return rows


def _train(
    cluster: Cluster,
    schema: DatasetSchema,
    transform: FittedTransform,
    transform_dir: Path,
    config: TrainingConfig,
    started: float,
) -> None:
    n_features = transform.n_outputs
    train_data = _read_split(cluster, "train", schema, n_features)
    validation_data = _read_split(cluster, "validation", schema, n_features)
    sharded = sharded_channels(read_input_data_config(paths.input_data_config_file()))
    with collective(cluster):
        rows = {
            name: _check_global(cluster, data, schema, f"the {name} channel", name in sharded)
            for name, data in (("train", train_data), ("validation", validation_data))
        }
        print(
            f"train: {schema.problem_type.value}, {rows['train']} train rows "
            f"({train_data.rows} on {cluster.current_host}, {cluster.size} host(s)), "
            f"{rows['validation']} validation rows, {n_features} features, "
            f"objective {config.params['objective']}, up to {config.num_round} rounds",
            flush=True,
        )
        dtrain, dvalid = build_matrices(train_data, validation_data, config)
        del train_data, validation_data  # the matrices hold what XGBoost needs
        result = fit(dtrain, dvalid, config, schema)
    if cluster.is_first:
        write_bundle(paths.model_dir(), result, config, schema, transform, transform_dir, rows)
        where = f"model written to {paths.model_dir()}"
    else:
        where = f"the model is written by {cluster.hosts[0]}"
    print(
        f"best iteration {result.best_iteration} of {result.rounds_trained} rounds; {where} in "
        f"{time.monotonic() - started:.1f}s"
    )
    for line in result.metric_lines():
        print(line)
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="train",
        description=(
            "SageMaker training job: XGBoost on the train/validation/transform channels under "
            "/opt/ml/input (re-rooted by OPT_ML_ROOT); the model bundle goes to /opt/ml/model."
        ),
    )
    # SageMaker starts training containers as `<image> train`; accept that word when an
    # entrypoint passes it through.
    parser.add_argument("mode", nargs="?", choices=["train"], help=argparse.SUPPRESS)
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    return run_job("train", train, paths.failure_file)


if __name__ == "__main__":
    sys.exit(main())
