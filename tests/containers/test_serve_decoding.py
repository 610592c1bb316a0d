"""In-process tests of the serve program's request decoding, content negotiation and encoding:
the fast paths and the exact path must accept the same inputs and name the same bad cell."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import orjson
import pytest
from ml_containers.serve import decoding
from ml_containers.serve.decoding import RequestLayout, decode
from ml_containers.serve.encoding import PredictionEncoder
from ml_containers.serve.errors import HttpError
from ml_containers.serve.negotiation import (
    InputFormat,
    OutputFormat,
    input_format,
    output_format,
)
from serve_helpers import BuiltBundle, build_bundle


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("bundles") / "binary", "binary", "xgboost")


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("bundles") / "multi", "multiclass", "xgboost")


def _layout(built: BuiltBundle) -> RequestLayout:
    return RequestLayout.from_schema(built.schema)


def _csv(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows).encode()


def _bad(body: bytes, fmt: InputFormat, layout: RequestLayout) -> HttpError:
    with pytest.raises(HttpError) as caught:
        decode(body, fmt, "utf-8", layout)
    assert caught.value.status == 400
    return caught.value


# -- negotiation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"text/csv", (InputFormat.CSV, "utf-8")),
        (b"text/csv; charset=UTF-8", (InputFormat.CSV, "utf-8")),
        (b"text/csv; charset=latin-1", (InputFormat.CSV, "iso8859-1")),
        (b"Application/JSON", (InputFormat.JSON, "utf-8")),
        (b"application/jsonlines", (InputFormat.JSONLINES, "utf-8")),
        (b"application/x-npy", (InputFormat.NPY, "utf-8")),
    ],
)
def test_content_types(header: bytes, expected: tuple[InputFormat, str]) -> None:
    assert input_format(header) == expected


@pytest.mark.parametrize("header", [None, b"", b"text/xml", b"text/csv; charset=klingon"])
def test_unsupported_content_types_are_415(header: bytes | None) -> None:
    with pytest.raises(HttpError) as caught:
        input_format(header)
    assert caught.value.status == 415
    assert "text/csv" in caught.value.message or "charset" in caught.value.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, OutputFormat.JSON),
        (b"*/*", OutputFormat.JSON),
        (b"application/json", OutputFormat.JSON),
        (b"text/csv", OutputFormat.CSV),
        (b"application/jsonlines", OutputFormat.JSONLINES),
        (b"text/html, text/csv;q=0.5, application/json;q=0.9", OutputFormat.JSON),
        (b"application/json;q=0.1, text/csv", OutputFormat.CSV),
        (b"text/html, */*;q=0.1", OutputFormat.JSON),
    ],
)
def test_accept_headers(header: bytes | None, expected: OutputFormat) -> None:
    assert output_format(header) is expected


@pytest.mark.parametrize("header", [b"text/html", b"application/xml", b"text/csv;q=0"])
def test_unanswerable_accept_is_406(header: bytes) -> None:
    with pytest.raises(HttpError) as caught:
        output_format(header)
    assert caught.value.status == 406


# -- CSV ----------------------------------------------------------------------------------------
def test_csv_fast_exact_and_pyarrow_paths_agree(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    rows = [list(r) for r in binary.raw_rows[:5]]
    rows[1][3] = None  # a missing value in a nullable column
    small = decode(_csv(rows), InputFormat.CSV, "utf-8", layout)
    exact = decoding.rows_to_batch(
        [[("" if v is None else str(v)) for v in r] for r in rows], layout, "column"
    )
    many = rows * 200  # well above the pyarrow threshold
    body = _csv(many)
    assert len(body) > decoding.PYARROW_MIN_BYTES
    large = decode(body, InputFormat.CSV, "utf-8", layout)
    assert small.matrix is not None and exact.matrix is not None and large.matrix is not None
    np.testing.assert_array_equal(small.matrix, exact.matrix)
    np.testing.assert_array_equal(large.matrix[:5], small.matrix)
    assert math.isnan(small.matrix[1, 3]) and large.rows == 1000


def test_csv_accepts_crlf_bom_charset_and_a_trailing_newline(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    body = _csv(binary.raw_rows[:3]).replace(b"\n", b"\r\n") + b"\r\n"
    batch = decode(b"\xef\xbb\xbf" + body, InputFormat.CSV, "utf-8", layout)
    latin = decode(body, InputFormat.CSV, "iso8859-1", layout)
    assert batch.rows == 3 and latin.rows == 3
    np.testing.assert_array_equal(batch.matrix, np.array(binary.raw_rows[:3]))


@pytest.mark.parametrize("copies", [1, 300], ids=["small", "pyarrow"])
def test_csv_wrong_width_names_row_and_counts(binary: BuiltBundle, copies: int) -> None:
    layout = _layout(binary)
    rows = [list(r) for r in binary.raw_rows[:4]] * copies
    rows[-2] = rows[-2][:-1]
    error = _bad(_csv(rows), InputFormat.CSV, layout)
    row = len(rows) - 1
    assert f"row {row}: expected 30 columns" in error.message and "got 29" in error.message
    assert error.details["row"] == row


@pytest.mark.parametrize("copies", [1, 300], ids=["small", "pyarrow"])
def test_csv_bad_cell_names_column_and_row(binary: BuiltBundle, copies: int) -> None:
    layout = _layout(binary)
    rows = [list(r) for _ in range(copies) for r in binary.raw_rows[:3]]
    rows[-1][5] = "abc"
    error = _bad(_csv(rows), InputFormat.CSV, layout)
    name = binary.feature_names[5]
    assert error.details == {"row": len(rows), "column": name}
    assert f"column {name!r}" in error.message and "'abc'" in error.message


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_infinity_is_refused(binary: BuiltBundle, value: str) -> None:
    rows = [list(r) for r in binary.raw_rows[:2]]
    rows[1][4] = value
    error = _bad(_csv(rows), InputFormat.CSV, _layout(binary))
    assert "not a finite number" in error.message and error.details["row"] == 2


@pytest.mark.parametrize("value", ["", "nan", "NaN"])
def test_missing_in_a_non_nullable_column_is_refused(binary: BuiltBundle, value: str) -> None:
    rows = [list(r) for r in binary.raw_rows[:2]]
    rows[0][0] = value  # column 0 is not nullable in the test schema
    error = _bad(_csv(rows), InputFormat.CSV, _layout(binary))
    assert "not nullable" in error.message
    assert error.details == {"row": 1, "column": binary.feature_names[0]}


def test_header_row_and_empty_line_are_explained(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    header = ",".join(binary.feature_names).encode()
    assert (
        "header"
        in _bad(header + b"\n" + _csv(binary.raw_rows[:1]), InputFormat.CSV, layout).message
    )
    error = _bad(
        _csv(binary.raw_rows[:1]) + b"\n\n" + _csv(binary.raw_rows[:1]), InputFormat.CSV, layout
    )
    assert "row 2" in error.message
    assert "empty" in _bad(b" \n", InputFormat.CSV, layout).message


def test_invalid_utf8_is_a_400(binary: BuiltBundle) -> None:
    assert "UTF-8" in _bad(b"\xff\xfe,1,2", InputFormat.CSV, _layout(binary)).message


# -- JSON, JSON Lines, npy ----------------------------------------------------------------------
def test_json_lists_objects_and_jsonlines_agree(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    rows = binary.raw_rows[:3]
    objects = [dict(zip(binary.feature_names, r, strict=True)) for r in rows]
    lists = decode(orjson.dumps({"instances": rows}), InputFormat.JSON, "utf-8", layout)
    keyed = decode(orjson.dumps({"instances": objects}), InputFormat.JSON, "utf-8", layout)
    lines = b"\n".join(orjson.dumps(o) for o in objects) + b"\n"
    jsonl = decode(lines, InputFormat.JSONLINES, "utf-8", layout)
    for batch in (lists, keyed, jsonl):
        np.testing.assert_array_equal(batch.matrix, np.array(rows))


def test_json_null_is_missing_and_strings_must_be_numbers(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    row: list[object] = list(binary.raw_rows[0])
    row[2] = None
    batch = decode(orjson.dumps({"instances": [row]}), InputFormat.JSON, "utf-8", layout)
    assert batch.matrix is not None and math.isnan(batch.matrix[0, 2])
    row[2] = "many"
    error = _bad(orjson.dumps({"instances": [row]}), InputFormat.JSON, layout)
    assert error.details["column"] == binary.feature_names[2]
    row[2] = [1, 2]
    assert (
        "expected a number"
        in _bad(orjson.dumps({"instances": [row]}), InputFormat.JSON, layout).message
    )


def test_json_object_keys_must_match_the_schema(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    instance = dict(zip(binary.feature_names, binary.raw_rows[0], strict=True))
    del instance["mean radius"]
    instance["colour"] = 3
    error = _bad(orjson.dumps({"instances": [instance]}), InputFormat.JSON, layout)
    assert error.details["missing"] == ["mean radius"] and error.details["unknown"] == ["colour"]
    assert "'mean radius'" in error.message and "'colour'" in error.message


@pytest.mark.parametrize(
    "body",
    [b"{", b"[1,2]", b'{"instances": []}', b'{"instances": 3}', b"[" * 5000 + b"]" * 5000],
)
def test_malformed_json_is_a_400(binary: BuiltBundle, body: bytes) -> None:
    _bad(body, InputFormat.JSON, _layout(binary))


def test_jsonlines_names_the_bad_line(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    good = orjson.dumps(binary.raw_rows[0])
    assert "line 2" in _bad(good + b"\n{oops\n", InputFormat.JSONLINES, layout).message
    assert "line 2 is empty" in _bad(good + b"\n\n" + good, InputFormat.JSONLINES, layout).message


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_npy_one_and_two_dimensional(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    rows = np.array(binary.raw_rows[:4])
    one = decode(_npy(rows[0]), InputFormat.NPY, "utf-8", layout)
    two = decode(_npy(rows.astype(np.float32)), InputFormat.NPY, "utf-8", layout)
    assert one.rows == 1 and two.rows == 4
    np.testing.assert_array_equal(one.matrix, rows[:1])


def test_npy_refuses_pickles_wrong_shapes_and_garbage(binary: BuiltBundle) -> None:
    layout = _layout(binary)
    objects = np.array([{"x": 1}], dtype=object)
    assert (
        "object arrays" in _bad(_npy(objects, allow_pickle=True), InputFormat.NPY, layout).message
    )
    assert (
        "expected 30 columns, got 3" in _bad(_npy(np.ones((2, 3))), InputFormat.NPY, layout).message
    )
    assert "2-D" in _bad(_npy(np.ones((2, 3, 30))), InputFormat.NPY, layout).message
    assert "numeric" in _bad(_npy(np.array(["a"] * 30)), InputFormat.NPY, layout).message
    _bad(b"not an npy file", InputFormat.NPY, layout)
    inf = np.ones((1, 30))
    inf[0, 7] = np.inf
    assert "not a finite number" in _bad(_npy(inf), InputFormat.NPY, layout).message


# -- categorical schemas (the general path) -----------------------------------------------------
def test_categorical_rows_paths_agree_and_unknown_category_is_accepted(
    multiclass: BuiltBundle,
) -> None:
    layout = _layout(multiclass)
    rows = [list(r) for r in multiclass.raw_rows[:3]]
    rows[1][-1] = "atlantis"  # not a listed category: encodes as all zeros
    small = decode(_csv(rows), InputFormat.CSV, "utf-8", layout)
    large = decode(_csv(rows * 300), InputFormat.CSV, "utf-8", layout)
    objects = [dict(zip(multiclass.feature_names, r, strict=True)) for r in rows]
    keyed = decode(orjson.dumps({"instances": objects}), InputFormat.JSON, "utf-8", layout)
    assert small.columns is not None and large.columns is not None and keyed.columns is not None
    assert small.columns["region"] == keyed.columns["region"] == [r[-1] for r in rows]
    assert large.columns["region"].to_pylist()[:3] == [r[-1] for r in rows]
    model = multiclass.bundle
    features = model.transform.apply_columns(small.columns, 3)
    region = [i for i, n in enumerate(model.transform.output_names) if n.startswith("region=")]
    assert features[1, region].sum() == 0 and features[0, region].sum() == 1


def test_quoted_csv_cells_with_commas(multiclass: BuiltBundle) -> None:
    layout = _layout(multiclass)
    row = [*multiclass.raw_rows[0][:-1], "far, far away"]
    body = (",".join(str(v) for v in row[:-1]) + ',"far, far away"').encode()
    batch = decode(body, InputFormat.CSV, "utf-8", layout)
    assert batch.columns is not None
    region = batch.columns["region"]
    assert (region.to_pylist() if hasattr(region, "to_pylist") else region) == ["far, far away"]


# -- encoding -----------------------------------------------------------------------------------
def test_encoder_output_contract() -> None:
    encoder = PredictionEncoder(["no", "yes, really"], "m-1", "v2")
    probabilities = np.array([[0.25, 0.75], [0.9, 0.1]])
    document = orjson.loads(encoder.encode(probabilities, OutputFormat.JSON, "r1", 1.5))
    assert document == {
        "predictions": [
            {"label": "yes, really", "probabilities": {"no": 0.25, "yes, really": 0.75}},
            {"label": "no", "probabilities": {"no": 0.9, "yes, really": 0.1}},
        ],
        "model": {"id": "m-1", "version": "v2"},
        "request_id": "r1",
        "inference_ms": 1.5,
    }
    csv = encoder.encode(probabilities, OutputFormat.CSV, "r1", 1.5).decode()
    assert csv == '"yes, really",0.25,0.75\nno,0.9,0.1\n'
    assert encoder.csv_columns == 'label,p_no,"p_yes, really"'
    lines = encoder.encode(probabilities, OutputFormat.JSONLINES, "r1", 1.5).splitlines()
    assert [orjson.loads(x)["label"] for x in lines] == ["yes, really", "no"]
    regression = PredictionEncoder(None, "m", "v")
    assert (
        regression.encode(np.array([1.5, -2.0]), OutputFormat.CSV, "r", 0).decode() == "1.5\n-2.0\n"
    )


def test_emf_record_shape(tmp_path: Path) -> None:
    from ml_containers.serve.emf import MetricsLog

    path = tmp_path / "log"
    with path.open("wb") as handle:
        MetricsLog("NS", "m", "v", fd=handle.fileno()).record(
            method="POST",
            path="/invocations",
            status=400,
            latency_ms=1.0,
            inference_ms=0.0,
            rows=0,
            request_id="r",
            error="bad",
        )
    event = orjson.loads(path.read_bytes())
    directive = event["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "NS"
    for dimension_set in directive["Dimensions"]:
        assert all(isinstance(event[d], str) for d in dimension_set)
    assert all(isinstance(event[m["Name"]], int | float) for m in directive["Metrics"])
    assert event["ClientErrors"] == 1 and event["Status"] == 400 and event["Error"] == "bad"


def test_complete_rows_skip_imputation_with_identical_features(binary: BuiltBundle) -> None:
    from ml_containers.serve.model import ServedModel

    model = ServedModel(binary.bundle, None)
    layout = _layout(binary)
    complete = decode(_csv(binary.raw_rows[:50]), InputFormat.CSV, "utf-8", layout)
    rows = [list(r) for r in binary.raw_rows[:2]]
    rows[1][4] = None
    missing = decode(_csv(rows), InputFormat.CSV, "utf-8", layout)
    assert complete.complete and not missing.complete
    for batch in (complete, missing):
        assert batch.matrix is not None
        expected = binary.bundle.transform.apply_numeric_matrix(batch.matrix)
        np.testing.assert_array_equal(model.features(batch), expected)  # bit for bit


def test_finite_values_whose_sum_overflows_are_still_complete(binary: BuiltBundle) -> None:
    """The finiteness checks sum first and look closer only when the sum is not finite: large
    finite values must take that closer look, not be refused or imputed."""
    from ml_containers.serve.model import ServedModel

    model = ServedModel(binary.bundle, None)
    layout = _layout(binary)
    transform = binary.bundle.transform
    mean = np.array([c["mean"] for c in transform.columns])
    scale = np.array([c["scale"] for c in transform.columns])
    with np.errstate(over="ignore", invalid="ignore"):  # as serving threads run
        huge = [[1e308] * layout.width, [-1e308] * layout.width]  # the float64 sum overflows
        batch = decode(_csv(huge), InputFormat.CSV, "utf-8", layout)
        assert batch.complete  # finite, nothing to impute
        with pytest.raises(HttpError) as refused:  # scaled to float32 these overflow: a 400
            model.features(batch)
        assert refused.value.status == 400 and "float32 range" in refused.value.message
        # Features each within float32 but summing past it (as float32) are served.
        large = (mean + 2e38 * scale).reshape(1, -1)
        features = model.features(decoding.FeatureBatch(rows=1, matrix=large, complete=True))
        assert not math.isfinite(float(features.sum())) and np.isfinite(features).all()


def test_binary_probabilities_are_exactly_one_minus_p_in_the_model_precision(
    binary: BuiltBundle,
) -> None:
    rows = binary.bundle.transform.apply_numeric_matrix(
        np.array(binary.raw_rows[:200], dtype=np.float64)
    )
    positive = np.asarray(binary.bundle.predictor(rows))
    assert positive.dtype == np.float32 and positive.ndim == 1
    expected = np.column_stack([1.0 - positive, positive]).astype(np.float64)
    for features in (rows, np.asfortranarray(rows.astype(np.float64))):  # any layout or dtype
        got = binary.bundle.predict(features)
        assert got.dtype == np.float64 and got.flags.c_contiguous
        np.testing.assert_array_equal(got, expected)  # bit for bit


def test_csv_encoding_of_many_rows_matches_the_row_by_row_text() -> None:
    """Batches are formatted from the numpy array directly; the text must be the same as
    formatting each value as a Python float (shortest round trip), NaN included."""
    rng = np.random.default_rng(3)
    probabilities = rng.random((500, 3))
    probabilities[7, 1] = np.nan
    values = np.concatenate([rng.standard_normal(300) * 1e-7, [1e300, 5e-324, -2.0]])
    for classes, output in ((["a", "b,c", "d"], probabilities), (None, values)):
        encoder = PredictionEncoder(classes, "m", "v")
        fast = encoder.encode(output, OutputFormat.CSV, "r", 0)
        rows = [encoder.encode(output[i : i + 1], OutputFormat.CSV, "r", 0) for i in range(20)]
        assert fast.startswith(b"".join(rows))
        assert fast == encoder.encode(np.asfortranarray(output), OutputFormat.CSV, "r", 0)
        assert fast.count(b"\n") == len(output)
