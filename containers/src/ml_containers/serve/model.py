"""The served model: a loaded bundle plus everything a request needs that depends only on the
model (request layout, classes, encoder, metadata headers), computed once at start-up.

Loading also runs a smoke prediction on an all-missing row (imputed by the transform), so a
bundle whose model, transform and classes disagree fails at start-up, not on the first request,
and times predictions so the app knows which requests are cheap enough to run inline.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bundle import ModelBundle, load_bundle
from ..forest.xgboost_trees import RawPath
from .compiled import SizeDispatch, compiled_or_none, fused_raw_path
from .decoding import FeatureBatch, RequestLayout
from .encoding import PredictionEncoder
from .errors import BadRequest
from .negotiation import InputFormat
from .xgboost_direct import direct_predictor

# A request whose prediction is expected to take at most this long runs on the event loop
# (no thread hand-off, ~50 µs saved); anything slower runs in the timed prediction thread.
INLINE_BUDGET_S = 0.002
_PROBE_ROWS = 256


def quiet_overflow_warnings() -> None:
    """Switch numpy's overflow (and inf - inf) warnings off in the calling thread and the tasks
    and prediction threads it starts. Serving threads call this once: :meth:`ServedModel.features`
    answers a client's out-of-range value with a 400 itself, so the warning would only be log
    noise, and one call per thread is cheaper than an ``errstate`` block per request."""
    np.seterr(over="ignore", invalid="ignore")


class ModelLoadError(RuntimeError):
    """The model directory cannot be served; the message says why and what to fix."""


@dataclass(frozen=True, slots=True)
class PredictionCost:
    """Predicted seconds for ``rows`` rows: ``fixed + per_row * rows`` (measured at load)."""

    fixed: float
    per_row: float

    def seconds(self, rows: int) -> float:
        return self.fixed + self.per_row * rows


class ServedModel:
    def __init__(self, bundle: ModelBundle, model_version: str | None) -> None:
        self.bundle = bundle
        schema = bundle.schema
        if schema.feature_names != bundle.transform.input_names:
            raise ModelLoadError(
                "schema.json and transform.json list different features; retrain so the bundle's "
                "schema and transform come from the same preprocessing run"
            )
        self.layout = RequestLayout.from_schema(schema)
        self.is_classification = bundle.problem_type.is_classification
        classes = list(bundle.manifest.classes) or schema.classes
        self.classes = classes if self.is_classification else None
        self.model_id = bundle.manifest.model_id
        self.model_version = model_version or self.model_id
        self.encoder = PredictionEncoder(self.classes, self.model_id, self.model_version)
        self.cost = PredictionCost(0.0, 0.0)
        self._xgboost: tuple[Any, tuple[int, int]] | None = None
        self.compiled_note = "not an XGBoost model"
        # Complete all-numeric requests of up to _raw_rows rows: one C call (:mod:`.compiled`).
        self._raw_path: RawPath | None = None
        self._raw_rows = 0.0
        self._raw_owner: object = None
        numeric = [c for c in bundle.transform.columns if c["kind"] == "numeric"]
        self._mean = np.array([c["mean"] for c in numeric], dtype=np.float64)
        self._scale = np.array([c["scale"] for c in numeric], dtype=np.float64)

    def features(self, batch: FeatureBatch) -> np.ndarray:
        """The fitted transform, exactly as in training: raw request rows to model features.

        Decoding has refused infinities, but a finite raw value can still overflow: features
        are float32, so a scaled 1e308 becomes inf, which some model libraries refuse (a 500)
        and others turn into NaN predictions. Such a row is the client's to fix (a 400)."""
        transform = self.bundle.transform
        if batch.matrix is not None and batch.complete:
            # Nothing to impute: the same arithmetic, 3 numpy calls fewer. No errstate block
            # here (entering one costs as much as the arithmetic on a single row): serving
            # threads switch overflow warnings off once, see quiet_overflow_warnings.
            features = ((batch.matrix - self._mean) / self._scale).astype(np.float32)
        else:
            with np.errstate(over="ignore"):
                if batch.matrix is not None:
                    features = transform.apply_numeric_matrix(batch.matrix)
                else:
                    assert batch.columns is not None
                    features = transform.apply_columns(batch.columns, batch.rows)
        # One reduction first: a finite sum means every value is finite (a NaN or an infinity
        # would make it non-finite); only a non-finite sum, rare, pays for the exact check.
        if not math.isfinite(features.sum()) and not np.isfinite(features).all():
            raise self._out_of_range(features)
        return features

    def _out_of_range(self, features: np.ndarray) -> BadRequest:
        row, position = (int(v) for v in np.argwhere(~np.isfinite(features))[0])
        name = self.bundle.transform.output_names[position]
        return BadRequest(
            f"row {row + 1}, column {name!r}: the value is too large in magnitude for the model "
            "(scaled by the fitted transform it passes the float32 range, about 3.4e38); send "
            "values of the size the model was trained on",
            row=row + 1,
            column=name,
        )

    def predict(self, batch: FeatureBatch) -> np.ndarray:
        """Class probabilities (rows, classes) or values (rows,)."""
        raw_path = self._raw_path
        if (
            raw_path is not None
            and batch.complete
            and batch.rows <= self._raw_rows
            and self.bundle.predictor is self._raw_owner  # stands in for that predictor only
        ):
            assert batch.matrix is not None  # complete batches are matrices
            output = raw_path(batch.matrix)
            if output is not None:
                return output
            # A transformed value is not finite: the general path below explains it (400).
        return self.bundle.predict(self.features(batch))

    def predict_body(self, body: bytes, fmt: InputFormat) -> np.ndarray | None:
        """A CSV or JSON body of plain numbers, decoded, transformed and predicted in one C
        call when the trees are compiled; None sends the body down the general path (which
        also gives every refusal its usual message)."""
        raw_path = self._raw_path
        if raw_path is None or self.bundle.predictor is not self._raw_owner:
            return None
        if fmt is InputFormat.CSV:
            if self._raw_rows != float("inf") and body.count(b"\n") >= self._raw_rows:
                return None  # XGBoost is faster at this size
            return raw_path.csv(body)
        if fmt is InputFormat.JSON and body.count(b"[") - 1 <= self._raw_rows:
            return raw_path.json(body)
        return None

    def missing_rows(self, rows: int) -> FeatureBatch:
        """``rows`` rows with every value missing (each imputed by the transform)."""
        layout = self.layout
        if layout.numeric_only:
            return FeatureBatch(rows=rows, matrix=np.full((rows, layout.width), np.nan))
        columns = {
            name: [None] * rows if categorical else np.full(rows, np.nan)
            for name, categorical in zip(layout.names, layout.categorical, strict=True)
        }
        return FeatureBatch(rows=rows, columns=columns)

    def use_direct_xgboost(self) -> bool:
        """Predict through XGBoost's C API (:mod:`.xgboost_direct`) when the bundle is an XGBoost
        model and the direct call answers probe rows exactly as ``inplace_predict`` does; this
        roughly halves a single row's prediction time. True when it is in use."""
        predictor = self.bundle.predictor
        booster = getattr(predictor, "booster", None)
        iteration_range = getattr(predictor, "iteration_range", None)
        if booster is None or iteration_range is None:
            return False
        width = len(self.bundle.transform.output_names)
        probe = np.random.default_rng(0).standard_normal((_PROBE_ROWS, width)).astype(np.float32)
        probe[0, :] = np.nan  # every value missing: XGBoost's default branches
        probe[1, ::2] = np.nan
        self._xgboost = (booster, iteration_range)
        direct = direct_predictor(booster, iteration_range, probe)
        if direct is None:
            return False
        bundle = self.bundle
        self.bundle = ModelBundle(bundle.manifest, bundle.schema, bundle.transform, direct)
        return True

    def use_compiled_trees(self) -> bool:
        """Predict an XGBoost bundle's trees with the compiled walker (:mod:`.compiled`) for the
        request sizes where it is faster; XGBoost keeps the rest. True when it is in use."""
        if self._xgboost is None:
            return False
        booster, iteration_range = self._xgboost
        width = len(self.bundle.transform.output_names)
        library = self.bundle.predictor
        dispatch, self.compiled_note = compiled_or_none(booster, iteration_range, library, width)
        if dispatch is None:
            return False
        bundle = self.bundle
        self.bundle = ModelBundle(bundle.manifest, bundle.schema, bundle.transform, dispatch)
        if self.layout.numeric_only and self._mean.size == width:
            binary = self.classes is not None and len(self.classes) == 2
            self._raw_path = fused_raw_path(
                dispatch, self._mean, self._scale, binary, self._reference_predict
            )
            self._raw_rows = dispatch.max_rows
            self._raw_owner = dispatch
        return True

    def _reference_predict(self, matrix: np.ndarray) -> np.ndarray:
        return self.bundle.predict(self.features(FeatureBatch(len(matrix), matrix, None, True)))

    @property
    def predictor_description(self) -> str:
        predictor = self.bundle.predictor
        if isinstance(predictor, SizeDispatch):
            limit = predictor.max_rows
            sizes = "every request" if limit == float("inf") else f"requests up to {limit:.0f} rows"
            return f"compiled trees for {sizes}"
        return f"{self.bundle.manifest.format} ({self.compiled_note})"

    def check_and_time(self) -> None:
        """Smoke-test the whole pipeline and measure :attr:`cost`."""
        self.use_direct_xgboost()
        self.use_compiled_trees()
        output = self.predict(self.missing_rows(1))
        expected = (1, len(self.classes)) if self.classes is not None else (1,)
        if output.shape != expected:
            raise ModelLoadError(
                f"the model returns predictions of shape {output.shape} for one row, expected "
                f"{expected} (classes {self.classes}); the manifest's classes or problem_type do "
                "not match the model file"
            )
        if not np.isfinite(output).all():
            raise ModelLoadError("the model predicts a non-finite value for an imputed row")
        one = _best_time(lambda: self.predict(self.missing_rows(1)))
        many = _best_time(lambda: self.predict(self.missing_rows(_PROBE_ROWS)))
        per_row = max(many - one, 0.0) / (_PROBE_ROWS - 1)
        self.cost = PredictionCost(fixed=one, per_row=per_row)

    def runs_inline(self, rows: int, timeout_s: float) -> bool:
        return self.cost.seconds(rows) <= min(INLINE_BUDGET_S, timeout_s / 10)


def load_served_model(model_dir: Path, model_version: str | None) -> ServedModel:
    """Load, smoke-test and time the bundle; any failure is a :class:`ModelLoadError`."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelLoadError(
            f"model directory {model_dir} does not exist; SageMaker extracts the model artifact "
            "there (set --model-dir or OPT_ML_ROOT for local runs)"
        )
    try:
        served = ServedModel(load_bundle(model_dir), model_version)
        served.check_and_time()
    except ModelLoadError:
        raise
    except Exception as exc:  # any loader failure (bundle, schema, xgboost, skops, onnxruntime)
        raise ModelLoadError(
            f"cannot load the model bundle in {model_dir}: {type(exc).__name__}: {exc}. The "
            "directory must hold the bundle written by train (manifest.json, schema.json, "
            "transform.json and the model file) or its model.tar.gz"
        ) from exc
    return served


def _best_time(call: object, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best
