"""Write the model bundle to ``/opt/ml/model`` (SageMaker packs it into ``model.tar.gz``).

The bundle is self-contained: serving and evaluation need nothing but this directory, because it
carries the dataset schema and the fitted transform next to the booster and the manifest.
"""

from __future__ import annotations

import os
import platform
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import xgboost as xgb

from .. import __version__
from ..bundle import SCHEMA_FILE, Manifest, write_manifest
from ..schema import DatasetSchema
from ..transform import TRANSFORM_FILE, FittedTransform
from .booster import TrainingResult
from .hyperparameters import TrainingConfig

MODEL_FILE = "model.ubj"  # XGBoost's binary JSON: compact, exact, loads without executing code


def model_id() -> str:
    """SageMaker sets ``TRAINING_JOB_NAME`` in every training container; locally, a fresh uuid."""
    return os.environ.get("TRAINING_JOB_NAME") or f"local-{uuid.uuid4()}"


def library_versions() -> dict[str, str]:
    return {
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "ml_containers": __version__,
    }


def write_bundle(
    directory: Path,
    result: TrainingResult,
    config: TrainingConfig,
    schema: DatasetSchema,
    transform: FittedTransform,
    transform_dir: Path,
    rows: dict[str, int],
) -> Manifest:
    """Write model, manifest, schema and transform into ``directory``; return the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    result.booster.save_model(str(directory / MODEL_FILE))
    shutil.copyfile(transform_dir / TRANSFORM_FILE, directory / TRANSFORM_FILE)
    schema.dump(directory / SCHEMA_FILE)
    manifest = Manifest(
        format="xgboost",
        model_file=MODEL_FILE,
        problem_type=schema.problem_type,
        classes=schema.classes,
        input_columns=schema.feature_names,
        feature_names=transform.output_names,
        model_id=model_id(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        library_versions=library_versions(),
        hyperparameters=config.effective(),
        training_metrics=result.metrics,
        best_iteration=result.best_iteration,
        rounds_trained=result.rounds_trained,
        training_rows=rows,
    )
    write_manifest(directory, manifest)
    return manifest
