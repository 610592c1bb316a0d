"""Real model bundles for the endpoint and batch transform tests (XGBoost on scikit-learn's breast
cancer data with a fitted transform, packed as SageMaker packs ``/opt/ml/model``), the registry
rows that point at them, and the tests of unpacking and the health-check row.

The builders are imported by ``test_local_endpoint.py`` and ``test_batch_transform.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from ml_containers.bundle import Manifest, load_bundle, pack_model_dir, write_manifest
from ml_containers.schema import Column, ColumnType, DatasetSchema, ProblemType, Target
from ml_containers.transform import TransformFitter
from sklearn.datasets import load_breast_cancer

from orchestrator.backends.local.health_check import typical_row_csv
from orchestrator.backends.local.model_unpack import unpack_model
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.local.serving_errors import EndpointError
from orchestrator.backends.model_registry import ApprovalStatus, ModelPackage

GROUP = "breast-cancer"
BUCKET = "models"
CLASSES = ["malignant", "benign"]


@cache
def breast_cancer() -> tuple[list[str], np.ndarray, np.ndarray]:
    data = load_breast_cancer()
    names = [name.replace(" ", "_") for name in data.feature_names]
    return names, np.asarray(data.data, dtype=np.float64), np.asarray(data.target)


def feature_rows_csv(rows: np.ndarray) -> bytes:
    """Feature rows as a CSV body (no header), values written exactly."""
    return b"".join((",".join(repr(float(v)) for v in row) + "\n").encode() for row in rows)


def build_bundle(directory: Path, *, rounds: int = 20, feature_count: int = 30) -> Path:
    """Write a bundle directory. ``feature_count`` < 30 keeps only the first features: a valid
    model whose requests have a different width (a schema change)."""
    names, features, labels = breast_cancer()
    names, features = names[:feature_count], features[:, :feature_count]
    schema = DatasetSchema(
        name="breast-cancer",
        problem_type=ProblemType.BINARY,
        target=Target(name="diagnosis", classes=CLASSES),
        features=[Column(name=name, type=ColumnType.NUMERIC) for name in names],
    )
    fitter = TransformFitter(schema)
    fitter.update({name: features[:, i] for i, name in enumerate(names)})
    fitted = fitter.finish()
    transformed = fitted.apply_numeric_matrix(features)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "nthread": 1, "seed": rounds},
        xgb.DMatrix(transformed, label=labels),
        num_boost_round=rounds,
    )
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / "model.ubj"))
    schema.dump(directory / "schema.json")
    fitted.save(directory)
    write_manifest(
        directory,
        Manifest(
            format="xgboost",
            model_file="model.ubj",
            problem_type=ProblemType.BINARY,
            classes=CLASSES,
            input_columns=schema.feature_names,
            feature_names=fitted.output_names,
            model_id=f"breast-cancer-{rounds}",
        ),
    )
    return directory


def register_bundle(
    registry: LocalModelRegistry,
    store_root: Path,
    bundle_dir: Path,
    name: str,
    approval_status: ApprovalStatus = "Approved",
) -> ModelPackage:
    """Pack ``bundle_dir`` into the artifact store and register it."""
    key = f"{name}/output/model.tar.gz"
    pack_model_dir(bundle_dir, store_root / BUCKET / key)
    registry.ensure_group(GROUP)
    return registry.register(
        GROUP,
        model_data_url=f"s3://{BUCKET}/{key}",
        image_uri="local/ml:latest",
        approval_status=approval_status,
    )


def register_unloadable(registry: LocalModelRegistry, store_root: Path, tmp: Path) -> ModelPackage:
    """A version whose model file is not a model: ``serve`` cannot load it."""
    bundle = build_bundle(tmp / "unloadable")
    (bundle / "model.ubj").write_bytes(b"not an xgboost model")
    return register_bundle(registry, store_root, bundle, "unloadable")


# -- tests of the builders and of unpacking ------------------------------------------------------
def test_built_bundle_loads_and_predicts_well(tmp_path: Path) -> None:
    _, features, labels = breast_cancer()
    bundle = load_bundle(build_bundle(tmp_path / "bundle"))
    probabilities = bundle.predict(bundle.transform.apply_numeric_matrix(features))
    assert probabilities.shape == (len(labels), 2)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    assert accuracy > 0.95


def test_typical_row_has_one_value_per_feature_and_predicts(tmp_path: Path) -> None:
    bundle_dir = build_bundle(tmp_path / "bundle")
    row = typical_row_csv(bundle_dir)
    assert row.endswith(b"\n") and row.count(b"\n") == 1
    values = np.array([float(v) for v in row.decode().strip().split(",")])
    names, features, _ = breast_cancer()
    assert values.shape == (len(names),)
    assert np.allclose(values, np.median(features, axis=0))
    bundle = load_bundle(bundle_dir)
    assert bundle.predict(bundle.transform.apply_numeric_matrix(values[None, :])).shape == (1, 2)


def test_unpack_extracts_once_per_version(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry.sqlite")
    package = register_bundle(registry, tmp_path / "store", build_bundle(tmp_path / "b"), "v1")
    model_dir = unpack_model(package, tmp_path / "store", tmp_path / "work")
    assert model_dir == tmp_path / "work" / "models" / f"{GROUP}-v1"
    assert load_bundle(model_dir).manifest.model_id == "breast-cancer-20"
    marker = model_dir / "extracted-before"
    marker.touch()
    assert unpack_model(package, tmp_path / "store", tmp_path / "work") == model_dir
    assert marker.exists()  # reused, not extracted again
    assert not [p for p in (tmp_path / "work" / "models").iterdir() if p.name.startswith(".")]


def test_unpack_errors_name_the_artifact(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry.sqlite")
    registry.ensure_group(GROUP)
    missing = registry.register(GROUP, model_data_url="s3://models/gone.tar.gz", image_uri="x")
    with pytest.raises(EndpointError, match=r"s3://models/gone\.tar\.gz is not in the local"):
        unpack_model(missing, tmp_path / "store", tmp_path / "work")
    not_s3 = registry.register(GROUP, model_data_url="/tmp/model.tar.gz", image_uri="x")
    with pytest.raises(EndpointError, match="not an s3:// URI"):
        unpack_model(not_s3, tmp_path / "store", tmp_path / "work")
    (tmp_path / "store" / "models").mkdir(parents=True)
    (tmp_path / "store" / "models" / "junk.tar.gz").write_bytes(b"not a tarball")
    junk = registry.register(GROUP, model_data_url="s3://models/junk.tar.gz", image_uri="x")
    with pytest.raises(EndpointError, match="cannot extract"):
        unpack_model(junk, tmp_path / "store", tmp_path / "work")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    (empty_dir / "readme.txt").write_text("no manifest here")
    pack_model_dir(empty_dir, tmp_path / "store" / "models" / "empty.tar.gz")
    empty = registry.register(GROUP, model_data_url="s3://models/empty.tar.gz", image_uri="x")
    with pytest.raises(EndpointError, match=r"no manifest\.json"):
        unpack_model(empty, tmp_path / "store", tmp_path / "work")
    assert not list((tmp_path / "work" / "models").iterdir())  # nothing half-unpacked left
