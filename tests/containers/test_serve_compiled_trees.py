"""serve predicts XGBoost bundles with compiled trees (:mod:`ml_containers.forest`): the answers
must be XGBoost's (within 1e-6; in fact bit for bit) on the whole dataset of every problem type,
and serve must keep XGBoost, saying why in its log, whenever the trees cannot be compiled."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from ml_containers.forest import TOLERANCE, NativeForestPredictor, max_difference, native
from ml_containers.forest.xgboost_trees import Unsupported, forest_from_booster
from ml_containers.serve.compiled import ENV_SWITCH, SizeDispatch, crossover_rows
from ml_containers.serve.decoding import decode
from ml_containers.serve.errors import BadRequest
from ml_containers.serve.model import ServedModel, load_served_model
from ml_containers.serve.negotiation import InputFormat
from ml_containers.serve.xgboost_direct import DirectXGBoostPredictor
from serve_helpers import BuiltBundle, Kind, build_bundle


def _features(served: ServedModel, rows: list[list[Any]]) -> np.ndarray:
    body = "\n".join(",".join("" if v is None else repr(v) for v in row) for row in rows)
    return served.features(decode(body.encode(), InputFormat.CSV, "utf-8", served.layout))


def _booster(built: BuiltBundle) -> tuple[Any, tuple[int, int]]:
    predictor = built.bundle.predictor
    return predictor.booster, predictor.iteration_range  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_compiled_trees_equal_xgboost_on_the_whole_dataset(kind: Kind, tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", kind, "xgboost", rounds=40, max_depth=5)
    served = load_served_model(built.directory, None)
    dispatch = served.bundle.predictor
    assert isinstance(dispatch, SizeDispatch)
    assert isinstance(dispatch.compiled, NativeForestPredictor)
    booster, iteration_range = _booster(built)
    features = _features(served, built.raw_rows)
    want = booster.inplace_predict(
        features, iteration_range=iteration_range, validate_features=False
    )
    got = dispatch.compiled(features)
    assert max_difference(got, want) <= TOLERANCE
    np.testing.assert_array_equal(got, want)  # stronger than required: the same bits
    # One request at a time, as served, and through the whole served pipeline.
    for row in range(0, len(features), 37):
        np.testing.assert_array_equal(dispatch.compiled(features[row : row + 1]), want[row:][:1])
    np.testing.assert_allclose(
        served.predict(_batch(served, built.raw_rows)), built.expected(built.raw_rows), rtol=1e-6
    )


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_missing_values_take_xgboosts_default_branches(kind: Kind, tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", kind, "xgboost", rounds=25, max_depth=6)
    booster, iteration_range = _booster(built)
    predictor = NativeForestPredictor(forest_from_booster(booster, iteration_range))
    rng = np.random.default_rng(3)
    probe = (rng.standard_normal((3000, booster.num_features())) * 3).astype(np.float32)
    probe[rng.random(probe.shape) < 0.3] = np.nan
    probe[0, :] = np.nan
    want = booster.inplace_predict(probe, iteration_range=iteration_range)
    np.testing.assert_array_equal(predictor(probe), want)


def test_best_iteration_range_is_honoured(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "multiclass", "xgboost", rounds=30)
    booster, _ = _booster(built)
    probe = np.random.default_rng(1).standard_normal((200, booster.num_features()))
    probe = probe.astype(np.float32)
    for iteration_range in ((0, 5), (2, 9), (0, 0)):
        predictor = NativeForestPredictor(forest_from_booster(booster, iteration_range))
        want = booster.inplace_predict(probe, iteration_range=iteration_range)
        np.testing.assert_array_equal(predictor(probe), want)


def test_without_a_c_compiler_serve_falls_back_to_xgboost_with_a_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.delenv(native.LIB_ENV, raising=False)
    monkeypatch.setattr(native, "library_name", lambda: "_forest_walker-not-built.so")
    monkeypatch.setattr(native, "find_compiler", lambda: None)
    with caplog.at_level(logging.WARNING, logger="serve"):
        served = load_served_model(built.directory, None)
    assert isinstance(served.bundle.predictor, DirectXGBoostPredictor)
    assert "no C compiler found" in caplog.text
    assert "predicting with XGBoost" in caplog.text
    assert "no C compiler found" in served.predictor_description
    rows = built.raw_rows[:20]
    np.testing.assert_allclose(served.predict(_batch(served, rows)), built.expected(rows))


def test_a_compiler_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    with pytest.raises(native.NativeUnavailable, match="exited"):
        native.compile_library(tmp_path / "x.so", ["sh", "-c", "echo broken >&2; exit 3", "cc"])
    assert not (tmp_path / "x.so").exists()


def test_an_unsupported_booster_keeps_xgboost(tmp_path: Path) -> None:
    built = build_bundle(
        tmp_path / "model", "binary", "xgboost", xgboost_params={"booster": "dart"}
    )
    booster, iteration_range = _booster(built)
    with pytest.raises(Unsupported, match="dart"):
        forest_from_booster(booster, iteration_range)
    served = load_served_model(built.directory, None)
    assert not isinstance(served.bundle.predictor, SizeDispatch)
    assert "dart" in served.predictor_description


def test_the_switch_turns_compiled_trees_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SWITCH, "0")
    built = build_bundle(tmp_path / "model", "binary", "xgboost")
    served = load_served_model(built.directory, None)
    assert isinstance(served.bundle.predictor, DirectXGBoostPredictor)


def test_size_dispatch_sends_large_requests_to_the_faster_predictor() -> None:
    def compiled(features: np.ndarray) -> np.ndarray:
        return np.zeros(len(features), dtype=np.float32)

    def library(features: np.ndarray) -> np.ndarray:
        return np.ones(len(features), dtype=np.float32)

    dispatch = SizeDispatch(compiled, library, max_rows=10)
    assert dispatch(np.zeros((10, 2), dtype=np.float32))[0] == 0
    assert dispatch(np.zeros((11, 2), dtype=np.float32))[0] == 1
    probe = np.zeros((64, 2), dtype=np.float32)
    assert crossover_rows(compiled, compiled, probe) == float("inf")


def test_max_difference_scales_large_values_and_matches_nans() -> None:
    assert max_difference(np.array([1000.0]), np.array([1000.0005])) <= TOLERANCE
    assert max_difference(np.array([0.5]), np.array([0.500002])) > TOLERANCE
    assert max_difference(np.array([np.nan]), np.array([np.nan])) == 0.0
    assert max_difference(np.zeros(2), np.zeros(3)) == float("inf")


def _batch(served: ServedModel, rows: list[list[Any]]) -> Any:
    body = "\n".join(",".join("" if v is None else repr(v) for v in row) for row in rows)
    return decode(body.encode(), InputFormat.CSV, "utf-8", served.layout)


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_the_fused_numeric_path_equals_the_general_one(kind: Kind, tmp_path: Path) -> None:
    """Complete all-numeric rows go through one C call (transform, trees, served layout): the
    same bits as the transform, the trees and the bundle's post-processing one after another."""
    built = build_bundle(tmp_path / "model", kind, "xgboost", rounds=30)
    served = load_served_model(built.directory, None)
    assert served._raw_path is not None
    batch = _batch(served, built.raw_rows)
    assert batch.complete
    general = served.bundle.predict(served.features(batch))
    np.testing.assert_array_equal(served.predict(batch), general)
    one = _batch(served, built.raw_rows[:1])
    np.testing.assert_array_equal(served.predict(one), general[:1])
    # A value the float32 features cannot hold is still the client's 400, named as before.
    huge = [[1e308, *built.raw_rows[0][1:]]]
    with np.errstate(over="ignore"), pytest.raises(BadRequest, match="too large in magnitude"):
        served.predict(_batch(served, huge))


def test_the_library_can_be_built_ahead_of_time(tmp_path: Path) -> None:
    """What the image's build stage runs (containers/Dockerfile): 0 and the path when built,
    1 and the reason when the compiler fails."""
    from ml_containers.forest import build

    assert build.main(["--out", str(tmp_path / "walker.so")]) == 0
    assert (tmp_path / "walker.so").is_file()
    assert build.main(["--out", str(tmp_path / "no.so"), "--cc", "false"]) == 1
    assert not (tmp_path / "no.so").exists()


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_a_plain_csv_row_in_one_c_call_equals_the_general_path(kind: Kind, tmp_path: Path) -> None:
    """Every row of the dataset as its own request: the one-call CSV path answers exactly what
    decoding, the transform and the trees answer one after another."""
    built = build_bundle(tmp_path / "model", kind, "xgboost", rounds=30)
    served = load_served_model(built.directory, None)
    for row in built.raw_rows:
        body = (",".join(map(repr, row)) + "\n").encode()
        got = served.predict_body(body, InputFormat.CSV)
        assert got is not None
        np.testing.assert_array_equal(got, served.predict(_batch(served, [row])))


def test_many_csv_rows_in_one_c_call_equal_the_general_path(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost", rounds=30)
    served = load_served_model(built.directory, None)
    lines = [",".join(map(repr, row)) for row in built.raw_rows]
    general = served.predict(_batch(served, built.raw_rows))
    for body in ("\n".join(lines).encode(), ("\r\n".join(lines) + "\r\n").encode()):
        got = served.predict_body(body, InputFormat.CSV)
        assert got is not None
        np.testing.assert_array_equal(got, general)


def test_csv_rows_the_one_call_path_leaves_to_the_general_one(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost")
    served = load_served_model(built.directory, None)
    ones = b",1" * 29
    for body in (
        b"1,2",  # too few cells
        b"1" + ones + b",",  # an empty 31st cell
        b"1" + ones + b",1",  # too many
        b" 1" + ones,  # a space
        b'"1"' + ones,  # quoted
        b"," + ones[1:] + b",1",  # an empty (missing) first cell
        b"nan" + ones,
        b"inf" + ones,
        b"1e999" + ones,  # overflows to inf
        b"1e308" + ones,  # finite, but its transformed value is not
        b"0x1p3" + ones,
        b"1_0" + ones,
        b"1" + ones + b"\n\n1" + ones,  # an empty line between two rows
        b"1" + ones + b"\n1,2",  # a short second row
        b"\xef\xbb\xbf1" + ones,  # a byte order mark
        b"",
    ):
        assert served.predict_body(body, InputFormat.CSV) is None, body
    accepted = served.predict_body(b"+1." + ones + b"\r\n", InputFormat.CSV)
    assert accepted is not None
    expected = served.predict(_batch(served, [[1.0] * 30]))
    np.testing.assert_array_equal(accepted, expected)


def test_the_c_number_reader_is_pythons_float_bit_for_bit() -> None:
    """Plain decimals of every shape (the fast exact path and strtod's) read as Python reads
    them; what Python reads differently or refuses, the C reader leaves alone (0)."""
    import ctypes

    library = native.load_library()
    parse = library.fw_parse_cell
    parse.restype, parse.argtypes = (
        ctypes.c_int32,
        [ctypes.c_char_p, ctypes.c_int64, ctypes.c_void_p],
    )
    value = ctypes.c_double()
    rng = np.random.default_rng(5)
    texts = [
        repr(float(x)) for x in rng.standard_normal(3000) * 10.0 ** rng.integers(-30, 30, 3000)
    ]
    texts += [
        f"{x:.{d}f}"
        for x, d in zip(rng.random(2000) * 1000, rng.integers(0, 20, 2000), strict=True)
    ]
    texts += ["0", "-0", "+1.", ".5", "1e22", "1e23", "9007199254740993", "1.7976931348623157e308"]
    texts += ["4.9e-324", "1e-400", "123456789012345678901234567890", "0.1e-5", "1E+5"]
    for text in texts:
        assert parse(text.encode(), len(text), ctypes.byref(value)) == 1, text
        assert value.value == float(text) and np.signbit(value.value) == np.signbit(float(text))
    for text in ("", "-", ".", "e5", "1e", "1e+", " 1", "1 ", "nan", "inf", "1_0", "0x10", "1e999"):
        assert parse(text.encode(), len(text), ctypes.byref(value)) == 0, text


def test_json_instances_in_one_c_call_equal_the_general_path(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost", rounds=30)
    served = load_served_model(built.directory, None)
    general = served.predict(_batch(served, built.raw_rows))
    compact = orjson.dumps({"instances": built.raw_rows})
    spaced = orjson.dumps({"instances": built.raw_rows}, option=orjson.OPT_INDENT_2)
    for body in (compact, spaced, b" \r\n" + compact + b"\n"):
        got = served.predict_body(body, InputFormat.JSON)
        assert got is not None
        np.testing.assert_array_equal(got, general)
    one = orjson.dumps({"instances": [[int(v) for v in built.raw_rows[0]]]})
    want = served.predict(decode(one, InputFormat.JSON, "utf-8", served.layout))
    np.testing.assert_array_equal(served.predict_body(one, InputFormat.JSON), want)


def test_json_the_one_call_path_leaves_to_the_json_parser(tmp_path: Path) -> None:
    built = build_bundle(tmp_path / "model", "binary", "xgboost")
    served = load_served_model(built.directory, None)
    row = ", ".join(["1.5"] * 29)
    for body in (
        '{"instances": [[1, %s]], "other": 1}',
        '{"other": [1], "instances": [[1, %s]]}',
        '{"instances": [{"a": 1}]}',
        '{"instances": [[null, %s]]}',
        '{"instances": [["1", %s]]}',
        '{"instances": [[NaN, %s]]}',
        '{"instances": [[01, %s]]}',
        '{"instances": [[1., %s]]}',
        '{"instances": [[.5, %s]]}',
        '{"instances": [[+1, %s]]}',
        '{"instances": [[12345678901234567890, %s]]}',
        '{"instances": [[1e999, %s]]}',
        '{"instances": [[1, %s]]} x',
        '{"instances": [[1, %s]]',
        '{"instances": [[1, %s, 2]]}',
        '{"instances": [[1, %s], [1]]}',
        '{"instances": []}',
        '{"instances": [[1, %s],]}',
        '{"Instances": [[1, %s]]}',
        '{"instances": [[1, %s]]}\u0000',
    ):
        text = body % row if "%s" in body else body
        assert served.predict_body(text.encode(), InputFormat.JSON) is None, text
