"""Hypothesis strategies for ``POST /invocations``: well-formed rows (whose predictions the test
can compute in-process) and hostile requests (random bytes, wrong content types and charsets,
wrong widths, NaN/inf and huge numbers, empty bodies, deep JSON, invalid UTF-8, oversized and
chunked bodies, JSON of the wrong shape, .npy of the wrong dtype or shape or with a lying
header, random Accept headers).

Headers stay well-formed HTTP (printable ASCII): a request the HTTP parser itself refuses never
reaches the app, and the property under test is the app's answer to every request it receives.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from hypothesis import strategies as st
from serve_helpers import REGIONS, BuiltBundle

SUPPORTED_TYPES = [
    "text/csv",
    "application/json",
    "application/jsonlines",
    "application/x-npy",
]
ODD_TYPES = [
    "TEXT/CSV; charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/x-jsonlines",
    "application/csv",
    "text/csv; charset=latin-1",
    "text/csv; charset=utf-16",
    "text/csv; charset=utf-7",
    "application/json; charset=idna",
    "text/csv; charset=rot13",
    "text/csv; charset=base64",
    "text/csv; charset=klingon",
    "application/x-npy; charset=utf-8",
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "",
]
ACCEPTS = [
    "application/json",
    "text/csv",
    "application/jsonlines",
    "*/*",
    "text/*",
    "text/html",
    "application/xml;q=1, text/csv;q=0.5",
    "text/csv;q=0",
    "application/json;q=nan",
    "application/json;q=inf, text/csv",
    "application/json;q=-1",
    ";;;,,,",
]
SPECIAL_CSV_CELLS = [
    "nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e400", "-1e400", "1e-400",
    "0x10", "1_000", " 1 ", "", "null", "true", "1e38", "-3.5e38", "\x00", '"1"', '"',
]  # fmt: skip
SPECIAL_JSON_TOKENS = [
    "1e308", "-1e308", "1e400", "-1e400", "NaN", "Infinity", "null", "true", '"1.5"', '""',
    "[]", "{}", "123456789012345678901234567890", "-0", "1e-400", '"north"', "[1]", '{"a":1}',
]  # fmt: skip
HUGE_NUMBERS = ["1e308", "-1e308", "1.7976931348623157e308", "1e400", "-1e400", "3.5e38", "1e-320"]
DEEP_DEPTHS = [64, 1000, 1025, 10_000]
NPY_DTYPES = [
    "float64", "float32", "float16", "int8", "int64", "uint16", "bool", "complex64", "<U5",
    "|S3", "|V8", ">f8",
]  # fmt: skip
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)  # h11 (the client) refuses header values with leading or trailing spaces
BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]


@dataclass
class FuzzRequest:
    """One request; ``expected`` is the in-process prediction when the rows are valid."""

    kind: str
    content_type: str | None
    accept: str | None
    body: bytes
    chunked: bool = False
    expected: np.ndarray | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        if self.accept is not None:
            headers["Accept"] = self.accept
        return headers

    def content(self) -> bytes | Iterator[bytes]:
        if not self.chunked:
            return self.body
        return iter([self.body[i : i + 65536] for i in range(0, len(self.body), 65536)])

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        body = self.body if len(self.body) <= 300 else self.body[:300] + b"..."
        return (
            f"FuzzRequest(kind={self.kind!r}, content_type={self.content_type!r}, "
            f"accept={self.accept!r}, chunked={self.chunked}, {len(self.body)} bytes: {body!r})"
        )


def csv_body(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def encode_rows(rows: list[list[Any]], fmt: str, names: list[str], as_objects: bool) -> bytes:
    """Rows (None = missing) in one of the four request formats."""
    if fmt == "text/csv":
        return csv_body(rows)
    if fmt == "application/x-npy":
        buffer = io.BytesIO()
        matrix = [[np.nan if v is None else v for v in row] for row in rows]
        np.save(buffer, np.array(matrix, dtype=np.float64))
        return buffer.getvalue()
    instances: list[Any] = [
        dict(zip(names, row, strict=False)) if as_objects else row for row in rows
    ]
    if fmt == "application/json":
        return orjson.dumps({"instances": instances})
    return b"\n".join(orjson.dumps(instance) for instance in instances) + b"\n"


def _cell(built: BuiltBundle, position: int) -> st.SearchStrategy[Any]:
    column = built.schema.features[position]
    if column.type.value == "categorical":
        return st.one_of(st.sampled_from(REGIONS), st.text(max_size=8), st.none())
    finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
    return st.one_of(finite, st.none()) if column.nullable else finite


def _formats(built: BuiltBundle) -> list[str]:
    numeric = all(c.type.value == "numeric" for c in built.schema.features)
    return SUPPORTED_TYPES if numeric else SUPPORTED_TYPES[:3]


@st.composite
def valid_rows(draw: st.DrawFn, built: BuiltBundle) -> FuzzRequest:
    """Rows the schema accepts (random finite values, missing where nullable, unknown
    categories): the answer must be a 200 with exactly the in-process model's predictions."""
    width = len(built.feature_names)
    row = st.tuples(*(_cell(built, p) for p in range(width))).map(list)
    rows = draw(st.lists(row, min_size=1, max_size=5))
    if any(isinstance(v, str) and (not v.strip() or v.strip() != v) for r in rows for v in r):
        rows = [[REGIONS[0] if isinstance(v, str) else v for v in r] for r in rows]
    fmt = draw(st.sampled_from(_formats(built)))
    body = encode_rows(rows, fmt, built.feature_names, draw(st.booleans()))
    accept = draw(st.sampled_from([None, "application/json", "text/csv", "application/jsonlines"]))
    return FuzzRequest("valid", fmt, accept, body, expected=built.expected(rows))


@st.composite
def hostile(draw: st.DrawFn, built: BuiltBundle, max_payload: int) -> FuzzRequest:
    """A request that may be anything; the server must refuse it clearly or predict."""
    width = len(built.feature_names)
    kind = draw(
        st.sampled_from(
            ["bytes", "width", "csv-special", "json-special", "huge", "empty", "deep", "utf8",
             "oversized", "json-shape", "npy", "npy-lying"]
        )
    )  # fmt: skip
    # One request in three has odd headers; the rest reach the body decoders.
    odd_headers = draw(st.integers(0, 2)) == 0
    if odd_headers:
        content_type = draw(st.one_of(st.sampled_from(ODD_TYPES), HEADER_TEXT))
        accept = draw(st.one_of(st.sampled_from(ACCEPTS), HEADER_TEXT))
    else:
        content_type = draw(st.sampled_from(SUPPORTED_TYPES))
        accept = draw(st.sampled_from([None, *ACCEPTS[:3]]))
    chunked = False
    sample = built.raw_rows[draw(st.integers(0, len(built.raw_rows) - 1))]
    if kind == "bytes":
        body = draw(st.binary(max_size=4096))
    elif kind == "width":
        cut = draw(st.integers(0, width + 3).filter(lambda n: n != width))
        row = (sample * 2)[:cut]
        fmt = draw(st.sampled_from(_formats(built)))
        content_type = draw(st.sampled_from([fmt, content_type]))
        body = encode_rows([row] * draw(st.integers(1, 3)), fmt, built.feature_names, False)
    elif kind == "csv-special":
        cells = [draw(st.sampled_from([*SPECIAL_CSV_CELLS, repr(v)])) for v in sample]
        body = ",".join(cells).encode()
        content_type = draw(st.sampled_from(["text/csv", content_type]))
    elif kind == "json-special":
        tokens = [draw(st.sampled_from([*SPECIAL_JSON_TOKENS, orjson.dumps(v).decode()]))
                  for v in sample]  # fmt: skip
        body = ('{"instances": [[' + ",".join(tokens) + "]]}").encode()
        content_type = draw(st.sampled_from(["application/json", content_type]))
    elif kind == "huge":  # a valid row with a few numbers at or past the edges of float64
        cells = [v if isinstance(v, str) else repr(v) for v in sample]
        numeric = [i for i, v in enumerate(sample) if not isinstance(v, str)]
        for position in draw(st.lists(st.sampled_from(numeric), min_size=1, max_size=3)):
            cells[position] = draw(st.sampled_from(HUGE_NUMBERS))
        if draw(st.booleans()):
            body, content_type = ",".join(cells).encode(), "text/csv"
        else:
            tokens = [
                f'"{c}"' if isinstance(v, str) else c for c, v in zip(cells, sample, strict=True)
            ]
            body, content_type = (
                ('{"instances": [[' + ",".join(tokens) + "]]}").encode(),
                ("application/json"),
            )
    elif kind == "empty":
        body = draw(st.sampled_from([b"", b"\n", b"  \r\n ", b"{}", b"[]", b'{"instances": []}']))
    elif kind == "deep":
        depth = draw(st.sampled_from(DEEP_DEPTHS))
        nested = b"[" * depth + b"1" + b"]" * depth
        body = draw(st.sampled_from([nested, b'{"instances": ' + nested + b"}"]))
        content_type = draw(st.sampled_from(["application/json", "application/jsonlines"]))
    elif kind == "utf8":
        fmt = draw(st.sampled_from(SUPPORTED_TYPES[:3]))
        valid = encode_rows([sample], fmt, built.feature_names, draw(st.booleans()))
        at = draw(st.integers(0, len(valid)))
        body = valid[:at] + draw(st.sampled_from(BAD_UTF8)) + valid[at:]
        content_type = draw(st.sampled_from([fmt, content_type]))
    elif kind == "oversized":
        line = csv_body([sample])
        body = (line * (max_payload // len(line) + 2))[: max_payload + draw(st.integers(1, 4096))]
        chunked = draw(st.booleans())
        content_type = "text/csv"
    elif kind == "json-shape":
        json_keys = st.sampled_from(["instances", *built.feature_names[:3]])
        document = draw(
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                lambda children: st.lists(children, max_size=6)
                | st.dictionaries(json_keys, children, max_size=4),
                max_leaves=30,
            )
        )  # fmt: skip
        # The standard library writes what orjson refuses to: NaN, Infinity, integers past 64 bits.
        body = json.dumps(draw(st.sampled_from([document, {"instances": document}]))).encode()
        content_type = draw(st.sampled_from(["application/json", "application/jsonlines"]))
    elif kind == "npy":
        dtype = np.dtype(draw(st.sampled_from(NPY_DTYPES)))
        shape = tuple(draw(st.lists(st.integers(0, width + 2), max_size=3)))
        array = np.zeros(shape, dtype=dtype)
        if dtype.kind == "f" and array.size:
            with np.errstate(over="ignore"):  # 1e300 as float16/32 is inf: a hostile value too
                array.flat[0] = draw(st.sampled_from([np.nan, np.inf, 1e300, -1.0]))
        buffer = io.BytesIO()
        np.save(buffer, array)
        body = buffer.getvalue()
        content_type = "application/x-npy"
    else:  # npy-lying: a valid array whose header or data was tampered with
        buffer = io.BytesIO()
        numbers = [v if isinstance(v, float) else 0.0 for v in sample]
        np.save(buffer, np.array([numbers], dtype=np.float64))
        body = buffer.getvalue()
        tamper = draw(st.sampled_from(["truncate", "shape", "huge", "pickle", "version"]))
        if tamper == "truncate":
            body = body[: draw(st.integers(0, len(body) - 1))]
        elif tamper == "shape":
            body = body.replace(b"(1, ", b"(7, ", 1)
        elif tamper == "huge":
            body = body.replace(b"(1, ", b"(99999999999999, ", 1)
        elif tamper == "pickle":
            body = body.replace(b"'<f8'", b"'|O' ", 1)
        else:
            body = body[:6] + bytes([draw(st.integers(0, 255))]) + body[7:]
        content_type = "application/x-npy"
    return FuzzRequest(kind, content_type, accept, body, chunked=chunked)
