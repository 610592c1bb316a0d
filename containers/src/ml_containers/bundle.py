"""The model bundle: the directory a training job leaves in ``/opt/ml/model`` (packed by SageMaker
into ``model.tar.gz``) and that evaluation and serving load.

A bundle holds ``manifest.json`` (format, file, feature names, classes, versions, metrics), the
dataset ``schema.json``, the fitted ``transform.json`` and one model file. The manifest names the
format, so loading never guesses, and no format here unpickles bytes: XGBoost's own JSON/UBJSON,
scikit-learn through skops with an allowlist of trusted types, and ONNX through onnxruntime.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .schema import DatasetSchema, ProblemType, load_schema
from .transform import FittedTransform

MANIFEST_FILE = "manifest.json"
SCHEMA_FILE = "schema.json"
MODEL_TAR = "model.tar.gz"

ModelFormat = Literal["xgboost", "skops", "onnx"]


class BundleError(ValueError):
    """A model bundle is missing a file, is malformed, or asks for something unsafe."""


class Manifest(BaseModel):
    """What a bundle contains; written by ``train`` (or by anyone packaging another format)."""

    model_config = ConfigDict(extra="allow")
    format_version: Literal[1] = 1
    format: ModelFormat
    model_file: str
    problem_type: ProblemType
    classes: list[str] = Field(default_factory=list)
    input_columns: list[str]
    feature_names: list[str]
    model_id: str = "unnamed"
    created_at: str | None = None
    library_versions: dict[str, str] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    training_metrics: dict[str, float] = Field(default_factory=dict)


Predictor = Callable[[np.ndarray], np.ndarray]


class ModelBundle:
    """A loaded bundle. ``predict`` takes *transformed* features and returns, for classification,
    class probabilities of shape (rows, classes) and, for regression, values of shape (rows,)."""

    def __init__(
        self,
        manifest: Manifest,
        schema: DatasetSchema,
        transform: FittedTransform,
        predictor: Predictor,
    ) -> None:
        self.manifest = manifest
        self.schema = schema
        self.transform = transform
        self._predict = predictor
        self._regression = manifest.problem_type is ProblemType.REGRESSION

    @property
    def problem_type(self) -> ProblemType:
        return self.manifest.problem_type

    @property
    def predictor(self) -> Predictor:
        """The format's raw predictor (transformed features in, the library's output out)."""
        return self._predict

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Serving calls this once per request, so each numpy call it saves on a single row is
        a measurable share of the request: arrays that are already float32 and contiguous go
        through untouched, and the binary case fills one float64 array in place."""
        if features.dtype != np.float32 or not features.flags.c_contiguous:
            features = np.ascontiguousarray(features, dtype=np.float32)
        out = self._predict(features)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if self._regression:
            return out.reshape(-1).astype(np.float64)
        if out.ndim == 1:  # binary models report P(class 1) only
            probabilities = np.empty((out.shape[0], 2), dtype=np.float64)
            probabilities[:, 1] = out
            probabilities[:, 0] = 1.0 - out  # in the model's precision, as the library would
            return probabilities
        return out.astype(np.float64)


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    path = Path(directory) / MANIFEST_FILE
    path.write_text(manifest.model_dump_json(indent=2) + "\n")
    return path


def read_manifest(directory: Path) -> Manifest:
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise BundleError(f"no {MANIFEST_FILE} in {directory}: not a model bundle written by train")
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise BundleError(f"{path} is not a valid manifest: {exc}") from None


def load_bundle(directory: Path) -> ModelBundle:
    """Load a bundle directory (or a ``model.tar.gz`` inside it, extracted next to it)."""
    directory = Path(directory)
    if not (directory / MANIFEST_FILE).is_file() and (directory / MODEL_TAR).is_file():
        safe_extract(directory / MODEL_TAR, directory)
    manifest = read_manifest(directory)
    model_path = directory / manifest.model_file
    if model_path.parent.resolve() != directory.resolve() or not model_path.is_file():
        raise BundleError(f"model file {manifest.model_file!r} named by the manifest is missing")
    schema = load_schema(directory / SCHEMA_FILE)
    transform = FittedTransform.load(directory)
    if transform.output_names != manifest.feature_names:
        raise BundleError("transform.json and manifest.json disagree on the feature names")
    loader = _LOADERS[manifest.format]
    return ModelBundle(manifest, schema, transform, loader(model_path, manifest))


def _load_xgboost(path: Path, manifest: Manifest) -> Predictor:
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(path))  # JSON or UBJSON: XGBoost's own, non-executable formats
    best = manifest.model_extra.get("best_iteration") if manifest.model_extra else None
    iteration_range = (0, int(best) + 1) if best is not None else (0, 0)

    def predict(features: np.ndarray) -> np.ndarray:
        return booster.inplace_predict(
            features, iteration_range=iteration_range, validate_features=False
        )

    # For callers with a faster route to the same trees (serve's direct C-API predictor).
    predict.booster = booster  # type: ignore[attr-defined]
    predict.iteration_range = iteration_range  # type: ignore[attr-defined]
    return predict


# Modules whose *classes* a scikit-learn bundle may contain beyond skops' own default trust list.
# Only classes: a function reference (``builtins.eval``, ``posix.system``, even a function inside
# sklearn) is refused, because skops would call it when the model is used.
SKOPS_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.")


def _is_trusted_skops_type(name: str) -> bool:
    import importlib

    if not name.startswith(SKOPS_TRUSTED_PREFIXES):
        return False
    module_name, _, attribute = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return False
    return isinstance(found, type)


def _load_skops(path: Path, manifest: Manifest) -> Predictor:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=str(path))
    refused = [t for t in untrusted if not _is_trusted_skops_type(t)]
    if refused:
        raise BundleError(
            f"refusing to load {path.name}: it references {refused}, which are not "
            "scikit-learn/numpy/scipy classes; re-save the model without custom code or functions"
        )
    model = sio.load(str(path), trusted=untrusted)
    if manifest.problem_type is ProblemType.REGRESSION:
        return lambda features: model.predict(features)
    return lambda features: model.predict_proba(features)


def _load_onnx(path: Path, manifest: Manifest) -> Predictor:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one serving worker per core; no oversubscription
    session = ort.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    input_name = session.get_inputs()[0].name
    outputs = [o.name for o in session.get_outputs()]
    if manifest.problem_type is ProblemType.REGRESSION:
        wanted = outputs[0]
    else:
        probability_outputs = [o for o in outputs if "prob" in o.lower()]
        if not probability_outputs:
            raise BundleError(
                f"ONNX classifier {path.name} has no probability output (outputs: {outputs})"
            )
        wanted = probability_outputs[0]

    def predict(features: np.ndarray) -> np.ndarray:
        result = session.run([wanted], {input_name: features})[0]
        if isinstance(result, list):  # ZipMap output: a list of {class: probability}
            result = np.array([[row[k] for k in sorted(row)] for row in result])
        return np.asarray(result)

    return predict


_LOADERS: dict[str, Callable[[Path, Manifest], Predictor]] = {
    "xgboost": _load_xgboost,
    "skops": _load_skops,
    "onnx": _load_onnx,
}


def safe_extract(archive: Path, destination: Path) -> None:
    """Extract a model tarball, refusing links, devices and paths that escape ``destination``.

    Every member is checked before anything is written, and only regular files and directories
    are ever created, by this code rather than by ``TarFile.extractall``: its ``filter="data"``
    argument (which would do the same checks) exists only from Python 3.11.4, and Debian
    bookworm's python3 is 3.11.2. One code path on every Python, so what the tests exercise is
    what runs in the image. Files are written with mode 0644 (0755 when the member is
    executable by its owner), owned by whoever runs the job: the archive's owners, set-id bits
    and times are not applied.
    """
    destination = Path(destination)
    try:
        destination.mkdir(parents=True, exist_ok=True)
        root = destination.resolve()
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            targets = [_member_target(member, root) for member in members]
            for member, target in zip(members, targets, strict=True):
                _extract_member(tar, member, target, root)
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"cannot extract {archive}: {exc}") from None


def _member_target(member: tarfile.TarInfo, root: Path) -> Path | None:
    """Where ``member`` goes below ``root`` (None for the archive's ``.`` entry), or an error."""
    name = member.name
    if not (member.isreg() or member.isdir()):
        what = "a link" if member.issym() or member.islnk() else "a device, fifo or other special"
        raise tarfile.TarError(
            f"member {name!r} is {what} member; a model bundle holds only files and directories"
        )
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise tarfile.TarError(
            f"member {name!r} is absolute or has a '..' component: outside the destination"
        )
    if relative == PurePosixPath("."):
        return None
    target = (root / relative).resolve()  # resolves links already present in the destination
    if not target.is_relative_to(root):
        raise tarfile.TarError(f"member {name!r} would be written outside the destination {root}")
    return target


def _extract_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path | None, root: Path
) -> None:
    if target is None:
        return
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(root):  # a link created since the check
        raise tarfile.TarError(
            f"member {member.name!r} would be written outside the destination {root}"
        )
    source = tar.extractfile(member)
    if source is None:
        raise tarfile.TarError(f"member {member.name!r} has no data")
    mode = 0o755 if member.mode & 0o100 else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with source, os.fdopen(os.open(target, flags, mode), "wb") as out:
        shutil.copyfileobj(source, out)
    os.chmod(target, mode)  # an existing file keeps its old mode through os.open


def pack_model_dir(directory: Path, archive: Path) -> Path:
    """Pack a model directory as SageMaker does: ``model.tar.gz`` with the files at its root."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(Path(directory).iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())
