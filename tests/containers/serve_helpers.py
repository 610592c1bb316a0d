"""Test (and benchmark) helpers for the ``serve`` program: real model bundles built from datasets
that ship with scikit-learn, and a real ``serve`` process on a free loopback port.

Bundles are written exactly as ``train`` writes them (manifest.json, schema.json, transform.json
and one model file), with the transform fitted by :class:`TransformFitter`, so the server loads
them through the production loader.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import numpy as np
import skops.io as sio
import xgboost as xgb
from ml_containers.bundle import Manifest, ModelBundle, load_bundle, write_manifest
from ml_containers.schema import Column, ColumnType, DatasetSchema, ProblemType, Target
from ml_containers.transform import FittedTransform, TransformFitter
from sklearn import datasets
from sklearn.linear_model import LogisticRegression, Ridge

Kind = Literal["binary", "multiclass", "regression"]
Format = Literal["xgboost", "skops", "onnx"]
REGIONS = ["north", "south", "east"]
SERVE = str(Path(sys.executable).with_name("serve"))


@dataclass
class BuiltBundle:
    """A bundle on disk plus the raw rows it was trained on (for requests)."""

    directory: Path
    schema: DatasetSchema
    raw_rows: list[list[Any]]  # feature values in schema order (categoricals as text)
    bundle: ModelBundle = field(repr=False)

    @property
    def feature_names(self) -> list[str]:
        return self.schema.feature_names

    def expected(self, rows: list[list[Any]]) -> np.ndarray:
        """The in-process model's output for raw rows (None = missing)."""
        transform = self.bundle.transform
        if transform.numeric_only:
            matrix = np.array(
                [[np.nan if v is None else float(v) for v in r] for r in rows], dtype=np.float64
            )
            return self.bundle.predict(transform.apply_numeric_matrix(matrix))
        columns: dict[str, Any] = {}
        for position, column in enumerate(self.schema.features):
            values = [r[position] for r in rows]
            if column.type is ColumnType.CATEGORICAL:
                columns[column.name] = values
            else:
                columns[column.name] = np.array(
                    [np.nan if v is None else float(v) for v in values], dtype=np.float64
                )
        return self.bundle.predict(transform.apply_columns(columns, len(rows)))


def _dataset(kind: Kind) -> tuple[list[Column], list[list[Any]], np.ndarray, list[str] | None]:
    """Feature columns, raw rows, label indices/values, class names for one problem type."""
    if kind == "binary":
        data = datasets.load_breast_cancer()
        classes = [str(c) for c in data.target_names]
    elif kind == "multiclass":
        data = datasets.load_wine()
        classes = [str(c) for c in data.target_names]
    else:
        data = datasets.load_diabetes()
        classes = None
    names = [str(n) for n in data.feature_names]
    x = np.asarray(data.data, dtype=np.float64)
    columns = [
        Column(name=name, type=ColumnType.NUMERIC, nullable=position != 0)
        for position, name in enumerate(names)
    ]
    rows: list[list[Any]] = [list(map(float, r)) for r in x]
    if kind == "multiclass":
        # A categorical column exercises the general (apply_columns) serving path.
        columns.append(Column(name="region", type=ColumnType.CATEGORICAL, categories=REGIONS))
        for index, row in enumerate(rows):
            row.append(REGIONS[(index * 7 + int(data.target[index])) % 3])
    return columns, rows, np.asarray(data.target), classes


def build_bundle(
    directory: Path,
    kind: Kind = "binary",
    fmt: Format = "xgboost",
    model_id: str | None = None,
    rounds: int = 20,
    max_depth: int = 3,
    xgboost_params: dict[str, Any] | None = None,
) -> BuiltBundle:
    """Fit a transform and a model on a scikit-learn dataset and write the bundle."""
    directory.mkdir(parents=True, exist_ok=True)
    columns, rows, target, classes = _dataset(kind)
    problem = {
        "binary": ProblemType.BINARY,
        "multiclass": ProblemType.MULTICLASS,
        "regression": ProblemType.REGRESSION,
    }[kind]
    schema = DatasetSchema(
        name=f"{kind}-demo",
        problem_type=problem,
        target=Target(name="target", classes=classes),
        features=columns,
    )
    fitter = TransformFitter(schema, seed=0)
    fitter.update(_columns_of(schema, rows))
    transform = fitter.finish()
    features = _apply(transform, schema, rows)
    model_file = _fit_model(
        directory,
        fmt,
        kind,
        features,
        target,
        len(classes or []),
        rounds,
        max_depth,
        xgboost_params or {},
    )
    manifest = Manifest(
        format=fmt,
        model_file=model_file,
        problem_type=problem,
        classes=classes or [],
        input_columns=schema.feature_names,
        feature_names=transform.output_names,
        model_id=model_id or f"{kind}-{fmt}",
    )
    write_manifest(directory, manifest)
    schema.dump(directory / "schema.json")
    transform.save(directory)
    return BuiltBundle(
        directory=directory, schema=schema, raw_rows=rows, bundle=load_bundle(directory)
    )


def _columns_of(schema: DatasetSchema, rows: list[list[Any]]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for position, column in enumerate(schema.features):
        values = [r[position] for r in rows]
        if column.type is ColumnType.CATEGORICAL:
            columns[column.name] = values
        else:
            columns[column.name] = np.array(values, dtype=np.float64)
    return columns


def _apply(transform: FittedTransform, schema: DatasetSchema, rows: list[list[Any]]) -> np.ndarray:
    if transform.numeric_only:
        return transform.apply_numeric_matrix(np.array(rows, dtype=np.float64))
    return transform.apply_columns(_columns_of(schema, rows), len(rows))


def _fit_model(
    directory: Path,
    fmt: Format,
    kind: Kind,
    features: np.ndarray,
    target: np.ndarray,
    num_classes: int,
    rounds: int,
    max_depth: int,
    xgboost_params: dict[str, Any],
) -> str:
    if fmt == "xgboost":
        params: dict[str, Any] = {
            "objective": {
                "binary": "binary:logistic",
                "multiclass": "multi:softprob",
                "regression": "reg:squarederror",
            }[kind],
            "max_depth": max_depth,
            "nthread": 1,
            "seed": 0,
        }
        if kind == "multiclass":
            params["num_class"] = num_classes
        params.update(xgboost_params)
        booster = xgb.train(params, xgb.DMatrix(features, label=target), num_boost_round=rounds)
        booster.save_model(str(directory / "model.ubj"))
        return "model.ubj"
    model = Ridge(alpha=1.0) if kind == "regression" else LogisticRegression(max_iter=2000)
    model.fit(features, target)
    if fmt == "skops":
        sio.dump(model, directory / "model.skops")
        return "model.skops"
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(model): {"zipmap": False}} if kind != "regression" else None
    onnx_model = convert_sklearn(
        model,
        initial_types=[("features", FloatTensorType([None, features.shape[1]]))],
        options=options,
        target_opset=17,
    )
    (directory / "model.onnx").write_bytes(onnx_model.SerializeToString())
    return "model.onnx"


# -- a real server process ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``serve`` started as SageMaker starts it (plus --host/--port), stdout/stderr to files."""

    def __init__(
        self,
        model_dir: Path | None,
        log_dir: Path,
        workers: int | None = 2,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        """``model_dir``/``workers`` None and ``port`` given: configured by ``env`` alone."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = log_dir / f"serve-{self.port}.out"
        self.stderr_path = log_dir / f"serve-{self.port}.err"
        command = [SERVE, "--host", "127.0.0.1"]
        if port is None:
            command += ["--port", str(self.port)]
        if model_dir is not None:
            command += ["--model-dir", str(model_dir)]
        if workers is not None:
            command += ["--workers", str(workers)]
        command += extra_args or []
        process_env = {**os.environ, **(env or {})}
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, env=process_env, start_new_session=True
            )

    def wait_ready(self, timeout: float = 90.0) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"serve exited with {self.process.returncode}: {self.stderr_path.read_text()}"
                )
            try:
                if httpx.get(f"{self.url}/ping", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"serve did not answer /ping in {timeout} s: {self.stderr_path.read_text()}"
        )

    def log_lines(self) -> list[str]:
        return [line for line in self.stdout_path.read_text().splitlines() if line.strip()]

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode


def start_servers(specs: list[dict[str, Any]]) -> list[ServerProcess]:
    """Start several servers at once (their start-ups overlap), then wait for each."""
    servers = [ServerProcess(**spec) for spec in specs]
    try:
        return [server.wait_ready() for server in servers]
    except Exception:
        for server in servers:
            server.stop()
        raise


def copy_bundle(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination
