"""Builds SageMaker-shaped inputs for the ``train`` and ``evaluate`` tests from real datasets.

scikit-learn ships three small real datasets that cover the three problem types: breast cancer
(binary), wine (multiclass) and diabetes (regression, with ``sex`` as a categorical column so the
one-hot path is exercised). The transform is fitted on the train split only, with the real
``TransformFitter``, and the splits are written exactly as ``preprocess`` writes them: label
first, no header, transformed features. This module holds helpers and no tests; the test modules
import it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from ml_containers.bundle import SCHEMA_FILE, Manifest, write_manifest
from ml_containers.schema import ColumnType, DatasetSchema, parse_schema
from ml_containers.transform import FittedTransform, TransformFitter
from sklearn import datasets

BIN_DIR = Path(sys.executable).parent
PROGRAM_TIMEOUT_S = 120


@dataclass
class Split:
    features: np.ndarray  # transformed, float32
    labels: np.ndarray  # class indices or target values
    raw: dict[str, Any]  # raw columns by name (what serving would receive)


@dataclass
class PreparedDataset:
    schema: DatasetSchema
    transform: FittedTransform
    train: Split
    validation: Split
    test: Split


def _raw_dataset(name: str) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    """Raw columns, target (class index or value) and the schema as a dict."""
    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        features = [str(f) for f in bunch.feature_names]
        columns = {f: bunch.data[:, i] for i, f in enumerate(features)}
        schema = {
            "name": "breast-cancer",
            "problem_type": "binary_classification",
            "target": {"name": "diagnosis", "classes": ["malignant", "benign"]},
            "features": [{"name": f, "type": "numeric"} for f in features],
        }
        return columns, bunch.target.astype(np.float64), schema
    if name == "wine":
        bunch = datasets.load_wine()
        features = [str(f) for f in bunch.feature_names]
        columns = {f: bunch.data[:, i] for i, f in enumerate(features)}
        schema = {
            "name": "wine",
            "problem_type": "multiclass_classification",
            "target": {"name": "cultivar", "classes": ["class_0", "class_1", "class_2"]},
            "features": [{"name": f, "type": "numeric"} for f in features],
            "metric": {"name": "macro_f1", "threshold": 0.8},
        }
        return columns, bunch.target.astype(np.float64), schema
    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
        features = [str(f) for f in bunch.feature_names]
        columns: dict[str, Any] = {f: bunch.data[:, i] for i, f in enumerate(features)}
        columns["sex"] = [str(int(v)) for v in columns["sex"]]
        schema = {
            "name": "diabetes",
            "problem_type": "regression",
            "target": {"name": "progression"},
            "features": [
                {"name": f, "type": "categorical", "categories": ["1", "2"]}
                if f == "sex"
                else {"name": f, "type": "numeric"}
                for f in features
            ],
        }
        return columns, bunch.target.astype(np.float64), schema
    raise ValueError(f"unknown dataset {name}")


def _take(columns: dict[str, Any], index: np.ndarray) -> dict[str, Any]:
    return {
        k: (np.asarray(v)[index] if isinstance(v, np.ndarray) else [v[i] for i in index])
        for k, v in columns.items()
    }


def prepare(name: str, seed: int = 7) -> PreparedDataset:
    """Split 70/15/15 (seeded), fit the transform on train only, transform every split."""
    columns, target, schema_data = _raw_dataset(name)
    schema = parse_schema(schema_data, f"<{name} test schema>")
    order = np.random.default_rng(seed).permutation(target.size)
    n_train, n_valid = int(target.size * 0.7), int(target.size * 0.15)
    parts = np.split(order, [n_train, n_train + n_valid])
    fitter = TransformFitter(schema, seed=seed)
    fitter.update(_take(columns, parts[0]))
    transform = fitter.finish()
    splits = []
    for index in parts:
        raw = _take(columns, index)
        splits.append(Split(transform.apply_columns(raw, index.size), target[index], raw))
    return PreparedDataset(schema, transform, *splits)


def write_labeled_csv(path: Path, split: Split) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.column_stack([split.labels, split.features]), delimiter=",", fmt="%.9g")
    return path


def write_preprocessing_bundle(directory: Path, data: PreparedDataset) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    data.transform.save(directory)
    data.schema.dump(directory / SCHEMA_FILE)
    return directory


def write_bundle_around_model(
    directory: Path, data: PreparedDataset, fmt: str, model_file: str
) -> Path:
    """Manifest, schema and transform next to an already written model file (any format), as
    someone packaging a non-XGBoost model would."""
    write_preprocessing_bundle(directory, data)
    manifest = Manifest(
        format=fmt,
        model_file=model_file,
        problem_type=data.schema.problem_type,
        classes=data.schema.classes,
        input_columns=data.schema.feature_names,
        feature_names=data.transform.output_names,
        model_id=f"test-{fmt}",
    )
    write_manifest(directory, manifest)
    return directory


def write_skops_bundle(model: Any, directory: Path, data: PreparedDataset) -> Path:
    """A scikit-learn model saved with ``skops.io.dump``, bundled with ``data``'s transform."""
    directory.mkdir(parents=True, exist_ok=True)
    sio.dump(model, directory / "model.skops")
    return write_bundle_around_model(directory, data, "skops", "model.skops")


def lay_out_training_job(
    root: Path,
    data: PreparedDataset,
    hyperparameters: dict[str, Any] | None = None,
    content_type: str = "text/csv",
) -> Path:
    """``root`` laid out as SageMaker lays out ``/opt/ml`` for a training job."""
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    hyperparameters = {"nthread": "2"} if hyperparameters is None else hyperparameters
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    channels = {
        "train": {"ContentType": content_type, "TrainingInputMode": "File"},
        "validation": {"ContentType": content_type, "TrainingInputMode": "File"},
        "transform": {"ContentType": "application/json", "TrainingInputMode": "File"},
    }
    for settings in channels.values():
        settings |= {"S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
    (config / "inputdataconfig.json").write_text(json.dumps(channels))
    write_labeled_csv(root / "input" / "data" / "train" / "train.csv", data.train)
    write_labeled_csv(root / "input" / "data" / "validation" / "validation.csv", data.validation)
    write_preprocessing_bundle(root / "input" / "data" / "transform", data)
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "output").mkdir(parents=True, exist_ok=True)
    return root


def run_program(
    program: str, root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run an installed entry point as a real process with ``OPT_ML_ROOT`` = ``root``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "OPT_ML"))}
    environment |= {"OPT_ML_ROOT": str(root), "MPLBACKEND": "Agg"} | (env or {})
    return subprocess.run(
        [str(BIN_DIR / program), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=PROGRAM_TIMEOUT_S,
        check=False,
    )


def categorical_columns(schema: DatasetSchema) -> list[str]:
    return [c.name for c in schema.features if c.type is ColumnType.CATEGORICAL]
