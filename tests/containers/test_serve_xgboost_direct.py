"""serve predicts XGBoost bundles through the C API (:mod:`ml_containers.serve.xgboost_direct`):
the answers must be exactly ``inplace_predict``'s, and a build without the private entry point
must fall back to ``inplace_predict``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ml_containers.serve import xgboost_direct
from ml_containers.serve.compiled import ENV_SWITCH
from ml_containers.serve.model import load_served_model
from ml_containers.serve.xgboost_direct import DirectXGBoostPredictor, direct_predictor
from serve_helpers import Kind, build_bundle


@pytest.fixture(autouse=True)
def _xgboost_predicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about XGBoost's own path: the compiled trees (which take over when they
    can, see test_serve_compiled_trees.py) are switched off."""
    monkeypatch.setenv(ENV_SWITCH, "0")


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_direct_prediction_equals_inplace_predict(kind: Kind, tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", kind, "xgboost")
    served = load_served_model(built.directory, None)
    assert isinstance(served.bundle.predictor, DirectXGBoostPredictor)
    original = served.bundle.predictor._booster
    rows = (built.raw_rows * 3)[:50]
    got = served.predict(_batch(served, rows))
    features = served.features(_batch(served, rows))
    booster_output = original.inplace_predict(features, validate_features=False)
    if kind == "binary":
        np.testing.assert_array_equal(got[:, 1], booster_output.astype(np.float64))
    else:
        np.testing.assert_array_equal(got, booster_output.astype(np.float64))
    np.testing.assert_allclose(got, built.expected(rows), rtol=1e-6)


def test_best_iteration_is_honoured(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost", rounds=30)
    served = load_served_model(built.directory, None)
    booster = served.bundle.predictor._booster
    probe = np.random.default_rng(1).standard_normal((20, booster.num_features()))
    probe = probe.astype(np.float32)
    for iteration_range in ((0, 5), (0, 0)):
        direct = direct_predictor(booster, iteration_range, probe)
        assert direct is not None
        expected = booster.inplace_predict(probe, iteration_range=iteration_range)
        np.testing.assert_array_equal(direct(probe), expected)
    short = direct_predictor(booster, (0, 5), probe)
    full = direct_predictor(booster, (0, 0), probe)
    assert short is not None and full is not None
    assert not np.array_equal(short(probe), full(probe))


def test_without_the_private_entry_point_serve_keeps_inplace_predict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost")

    def missing(*args: object, **kwargs: object) -> None:
        raise AttributeError("_LIB has no XGBoosterPredictFromDense")

    monkeypatch.setattr(xgboost_direct.DirectXGBoostPredictor, "__init__", missing)
    served = load_served_model(built.directory, None)
    assert not isinstance(served.bundle.predictor, DirectXGBoostPredictor)
    rows = built.raw_rows[:5]
    np.testing.assert_allclose(
        served.predict(_batch(served, rows)), built.expected(rows), rtol=1e-6
    )


def _batch(served: object, rows: list[list[object]]) -> object:
    from ml_containers.serve.decoding import decode
    from ml_containers.serve.negotiation import InputFormat

    body = "\n".join(",".join("" if v is None else repr(v) for v in row) for row in rows)
    return decode(body.encode(), InputFormat.CSV, "utf-8", served.layout)  # type: ignore[attr-defined]
