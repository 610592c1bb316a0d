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
from typing import Any

from .. import paths
from .booster import build_matrices, fit
from .channels import (
    channel_files,
    check_input_data_config,
    load_preprocessing_bundle,
    read_input_data_config,
)
from .failure import JobFailure, run_job
from .hyperparameters import parse_hyperparameters
from .labeled_csv import check_binary_classes_present, check_labels, read_labeled_csv
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
    check_input_data_config(read_input_data_config(paths.input_data_config_file()))
    schema, transform, transform_dir = load_preprocessing_bundle()
    config = parse_hyperparameters(read_hyperparameters(), schema, job_cores())
    train_files = channel_files("train")
    validation_files = channel_files("validation")
    n_features = transform.n_outputs
    train_data = read_labeled_csv(train_files, n_features, "the train channel")
    check_labels(train_data.labels, schema, "the train channel")
    check_binary_classes_present(train_data.labels, schema, "the train channel")
    validation_data = read_labeled_csv(validation_files, n_features, "the validation channel")
    check_labels(validation_data.labels, schema, "the validation channel")
    check_binary_classes_present(validation_data.labels, schema, "the validation channel")
    print(
        f"train: {schema.problem_type.value}, {train_data.rows} train rows, "
        f"{validation_data.rows} validation rows, {n_features} features, "
        f"objective {config.params['objective']}, up to {config.num_round} rounds",
        flush=True,
    )
    dtrain, dvalid = build_matrices(train_data, validation_data, config)
    del train_data, validation_data  # the matrices hold what XGBoost needs
    result = fit(dtrain, dvalid, config, schema)
    write_bundle(
        paths.model_dir(),
        result,
        config,
        schema,
        transform,
        transform_dir,
        rows={"train": dtrain.num_row(), "validation": dvalid.num_row()},
    )
    print(
        f"best iteration {result.best_iteration} of {result.rounds_trained} rounds; model written "
        f"to {paths.model_dir()} in {time.monotonic() - started:.1f}s"
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
