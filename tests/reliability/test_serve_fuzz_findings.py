"""The requests the fuzzer found answered with a 500, pinned as plain regression tests (the fuzz
test draws them only with some probability): each is now a 4xx naming the problem."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from ml_containers.serve.decoding import decode
from ml_containers.serve.errors import HttpError
from ml_containers.serve.model import ServedModel, load_served_model
from ml_containers.serve.negotiation import input_format
from serve_helpers import build_bundle


@pytest.fixture(scope="module", params=["xgboost", "skops", "onnx"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ServedModel:
    folder = tmp_path_factory.mktemp(f"model-{request.param}") / "model"
    return load_served_model(build_bundle(folder, "binary", request.param).directory, None)


def _answer(served: ServedModel, body: bytes, content_type: bytes) -> np.ndarray:
    fmt, charset = input_format(content_type)
    return served.predict(decode(body, fmt, charset, served.layout))


@pytest.mark.parametrize("value", ["1e308", "-1e308", "1.7976931348623157e308", "1e40"])
def test_a_huge_finite_value_is_a_400_naming_row_and_column(
    served: ServedModel, value: str
) -> None:
    row = [value] + ["1.0"] * (served.layout.width - 1)
    with pytest.raises(HttpError) as caught:
        _answer(served, ",".join(row).encode(), b"text/csv")
    assert caught.value.status == 400
    assert "row 1, column 'mean radius'" in caught.value.message
    assert "float32 range" in caught.value.message


def test_ordinary_values_still_predict(served: ServedModel) -> None:
    row = ",".join(["14.0"] * served.layout.width).encode()
    assert np.isfinite(_answer(served, row, b"text/csv")).all()


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib", "hex"])
def test_a_codec_that_is_not_a_text_encoding_is_a_415(charset: str) -> None:
    with pytest.raises(HttpError) as caught:
        input_format(f"text/csv; charset={charset}".encode())
    assert caught.value.status == 415 and "use utf-8" in caught.value.message


@pytest.mark.parametrize("charset", ["idna", "utf-16", "utf-32", "latin-1", "utf-7"])
def test_real_text_encodings_are_still_accepted(charset: str) -> None:
    assert input_format(f"text/csv; charset={charset}".encode())[1]


def test_an_npy_header_larger_than_its_body_is_a_400_before_any_allocation(
    tmp_path: Path,
) -> None:
    served = load_served_model(build_bundle(tmp_path / "m", "binary", "xgboost").directory, None)
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, served.layout.width)))
    body = buffer.getvalue().replace(b"(2, ", b"(100000000000000, ", 1)
    with pytest.raises(HttpError) as caught:
        _answer(served, body, b"application/x-npy")
    assert caught.value.status == 400 and "declares shape (100000000000000, 30)" in str(
        caught.value.message
    )
