"""Request bodies to feature rows in schema order, with every refusal naming the row and column.

Each format has a fast path and an exact path. The fast path (numpy over byte splits for small
CSV, pyarrow for large CSV, one ``np.array`` call for JSON lists) handles well-formed numeric
input with no per-cell Python work. Whenever it cannot, the exact path re-reads the body cell
by cell: it either produces the same rows or raises the precise error (row, column, value). So
both paths accept exactly the same inputs, and error messages never depend on the body's size.

Missing values: an empty cell, JSON ``null`` or a NaN is *missing* and is imputed by the fitted
transform when the schema marks the column nullable; otherwise it is refused. Infinities are
always refused (the model never saw one). A categorical cell is read as text; a category the
schema does not list encodes as all zeros, exactly as the transform does in training.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.lib.format as npformat
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

from ..schema import ColumnType, DatasetSchema
from .errors import BadRequest
from .negotiation import InputFormat

PYARROW_MIN_BYTES = 32 * 1024  # below this, byte splitting beats pyarrow's fixed cost
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RequestLayout:
    """What a request row must look like, derived once per model from the schema."""

    names: tuple[str, ...]
    name_set: frozenset[str]
    categorical: tuple[bool, ...]
    nullable: tuple[bool, ...]
    numeric_only: bool
    required_positions: np.ndarray  # positions of non-nullable columns

    @classmethod
    def from_schema(cls, schema: DatasetSchema) -> RequestLayout:
        columns = schema.features
        categorical = tuple(c.type is ColumnType.CATEGORICAL for c in columns)
        nullable = tuple(c.nullable for c in columns)
        required = [i for i, n in enumerate(nullable) if not n]
        return cls(
            names=tuple(c.name for c in columns),
            name_set=frozenset(c.name for c in columns),
            categorical=categorical,
            nullable=nullable,
            numeric_only=not any(categorical),
            required_positions=np.array(required, dtype=np.int64),
        )

    @property
    def width(self) -> int:
        return len(self.names)


@dataclass(slots=True)
class FeatureBatch:
    """Decoded, validated request rows: a float matrix (all-numeric schemas; NaN = missing) or
    columns by name (numeric as float arrays, categorical as text with None = missing)."""

    rows: int
    matrix: np.ndarray | None = None
    columns: dict[str, Any] | None = None
    complete: bool = False  # a matrix with no missing value (lets the transform skip imputing)


def decode(body: bytes, fmt: InputFormat, charset: str, layout: RequestLayout) -> FeatureBatch:
    """Decode a request body of the given format into validated feature rows."""
    if not body.strip():
        raise BadRequest("the request body is empty; send at least one row of feature values")
    if fmt is InputFormat.NPY:
        return decode_npy(body, layout)
    if charset not in ("utf-8", "ascii"):
        body = _as_utf8(body, charset)
    if fmt is InputFormat.CSV:
        return decode_csv(body, layout)
    if fmt is InputFormat.JSON:
        return decode_json(body, layout)
    return decode_jsonlines(body, layout)


# -- CSV ----------------------------------------------------------------------------------------
def decode_csv(body: bytes, layout: RequestLayout) -> FeatureBatch:
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    body = body.rstrip(b"\r\n")
    if not body:
        raise BadRequest("the request body is empty; send at least one row of feature values")
    quoted = b'"' in body
    if len(body) >= PYARROW_MIN_BYTES or (quoted and not layout.numeric_only):
        batch = _csv_with_pyarrow(body, layout)
        if batch is not None:
            return batch
    elif layout.numeric_only and not quoted:
        if b"\n" in body:
            cells = [line.rstrip(b"\r").split(b",") for line in body.split(b"\n")]
        else:  # one row: the common real-time request
            cells = [body.split(b",")]
        matrix = _fast_matrix(cells, layout.width)
        if matrix is not None:
            return _numeric_batch(matrix, layout)
    return rows_to_batch(_csv_rows_exact(body), layout, unit="column")


def _csv_rows_exact(body: bytes) -> list[list[str]]:
    text = _utf8_text(body)
    if '"' in text:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            return [row or [""] for row in reader]
        except csv.Error as exc:
            raise BadRequest(
                f"row {reader.line_num}: the CSV is malformed ({exc}); quote cells with '\"' "
                "and double any quote inside a quoted cell",
                row=reader.line_num,
            ) from None
    return [line.rstrip("\r").split(",") for line in text.split("\n")]


def _csv_with_pyarrow(body: bytes, layout: RequestLayout) -> FeatureBatch | None:
    """Large or quoted CSV through pyarrow; None (use the exact path) on anything unusual."""
    types = {
        name: pa.string() if is_cat else pa.float64()
        for name, is_cat in zip(layout.names, layout.categorical, strict=True)
    }
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=list(layout.names), use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    rows = table.num_rows
    if layout.numeric_only:
        matrix = np.empty((rows, layout.width), dtype=np.float64)
        for position in range(layout.width):
            matrix[:, position] = table.column(position).to_numpy()
        return _numeric_batch(matrix, layout)
    columns: dict[str, Any] = {}
    for position, name in enumerate(layout.names):
        array = table.column(position)
        if layout.categorical[position]:
            if array.null_count and not layout.nullable[position]:
                row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0]) + 1
                raise _missing(row, name, position)
            columns[name] = array.combine_chunks()
        else:
            columns[name] = validate_column(array.to_numpy(), layout, position)
    return FeatureBatch(rows=rows, columns=columns)


# -- JSON and JSON Lines ------------------------------------------------------------------------
def decode_json(body: bytes, layout: RequestLayout) -> FeatureBatch:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or "instances" not in document:
        raise BadRequest(
            'a JSON body must be an object {"instances": [...]}, each instance a list of '
            f"{layout.width} values in schema order or an object keyed by column name"
        )
    instances = document["instances"]
    if not isinstance(instances, list) or not instances:
        raise BadRequest('"instances" must be a non-empty list of instances')
    return instances_to_batch(instances, layout)


def decode_jsonlines(body: bytes, layout: RequestLayout) -> FeatureBatch:
    lines = body.rstrip(b"\r\n").split(b"\n")
    instances = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BadRequest(
                f"line {number} is empty; send one instance (a JSON list or object) per line",
                row=number,
            )
        try:
            instances.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"line {number} is not valid JSON: {exc}", row=number) from None
    return instances_to_batch(instances, layout)


def instances_to_batch(instances: list[Any], layout: RequestLayout) -> FeatureBatch:
    """Instances as lists in schema order or objects keyed by column name."""
    rows: list[Any] = []
    for number, instance in enumerate(instances, start=1):
        if isinstance(instance, list):
            rows.append(instance)
        elif isinstance(instance, dict):
            rows.append(_ordered(instance, layout, number))
        else:
            raise BadRequest(
                f"row {number}: an instance must be a list of {layout.width} values or an "
                f"object keyed by column name, got {type(instance).__name__}",
                row=number,
            )
    if layout.numeric_only:
        matrix = _fast_matrix(rows, layout.width)
        if matrix is not None:
            return _numeric_batch(matrix, layout)
    return rows_to_batch(rows, layout, unit="value")


def _ordered(instance: dict[str, Any], layout: RequestLayout, number: int) -> list[Any]:
    if instance.keys() != layout.name_set:
        keys = set(instance)
        missing = [n for n in layout.names if n not in keys]
        extra = sorted(keys - layout.name_set)
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unknown {extra}")
        raise BadRequest(
            f"row {number}: the instance's keys do not match the schema ({'; '.join(parts)}); "
            "use null for a missing value",
            row=number,
            missing=missing,
            unknown=extra,
        )
    return [instance[name] for name in layout.names]


# -- npy ----------------------------------------------------------------------------------------
def decode_npy(body: bytes, layout: RequestLayout) -> FeatureBatch:
    try:
        _check_npy_size(body)
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError, TypeError) as exc:
        raise BadRequest(
            f"the body is not a readable .npy array ({exc}); send numpy.save output of a numeric "
            "array (object arrays are refused)"
        ) from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise BadRequest("send a single .npy array, not an .npz archive")
    if array.dtype.kind not in "biuf":
        raise BadRequest(f"the .npy array must be numeric, got dtype {array.dtype}")
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise BadRequest(f"the .npy array must be 1-D (one row) or 2-D, got shape {array.shape}")
    if array.shape[0] == 0:
        raise BadRequest("the .npy array has no rows")
    if array.shape[1] != layout.width:
        raise BadRequest(
            f"expected {layout.width} columns, got {array.shape[1]} (array shape {array.shape})"
        )
    matrix = array.astype(np.float64)
    if layout.numeric_only:
        return _numeric_batch(matrix, layout)
    return rows_to_batch(matrix.tolist(), layout, unit="column")


def _check_npy_size(body: bytes) -> None:
    """Refuse a .npy header whose shape does not match the bytes that follow it, before numpy
    allocates the array the header declares (a 100-byte body can claim petabytes: a
    MemoryError, or a huge allocation, instead of a 400)."""
    if not body.startswith(b"\x93NUMPY"):
        return  # not a .npy file (an .npz, or garbage): np.load explains
    stream = io.BytesIO(body)
    version = npformat.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = npformat.read_array_header_1_0(stream)
    else:
        shape, _, dtype = npformat.read_array_header_2_0(stream)
    if dtype.hasobject:
        return  # np.load refuses object arrays without reading further
    declared = math.prod(shape) * dtype.itemsize
    present = len(body) - stream.tell()
    if declared != present:
        raise BadRequest(
            f"the .npy header declares shape {shape} of {dtype} ({declared} bytes) but the body "
            f"holds {present} bytes of data; send the exact numpy.save output"
        )


# -- shared validation --------------------------------------------------------------------------
def _fast_matrix(rows: Sequence[Any], width: int) -> np.ndarray | None:
    """All rows as one float matrix, or None when anything needs the exact path."""
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return None
    if matrix.ndim != 2 or matrix.shape[1] != width:
        return None
    return matrix


def _numeric_batch(matrix: np.ndarray, layout: RequestLayout) -> FeatureBatch:
    # A finite sum proves every value finite in one reduction (NaN or inf would propagate); a
    # sum that overflows with finite values only costs the exact check below.
    complete = math.isfinite(matrix.sum()) or bool(np.isfinite(matrix).all())
    if not complete:
        validate_matrix(matrix, layout)
    return FeatureBatch(rows=matrix.shape[0], matrix=matrix, complete=complete)


def validate_matrix(matrix: np.ndarray, layout: RequestLayout) -> np.ndarray:
    """Refuse infinities anywhere and NaN (missing) in non-nullable columns."""
    if np.isfinite(matrix).all():
        return matrix
    infinite = np.argwhere(np.isinf(matrix))
    if infinite.size:
        row, position = (int(v) for v in infinite[0])
        raise _not_finite(row + 1, layout.names[position], position, matrix[row, position])
    if layout.required_positions.size:
        missing = np.argwhere(np.isnan(matrix[:, layout.required_positions]))
        if missing.size:
            row, which = (int(v) for v in missing[0])
            position = int(layout.required_positions[which])
            raise _missing(row + 1, layout.names[position], position)
    return matrix


def validate_column(values: np.ndarray, layout: RequestLayout, position: int) -> np.ndarray:
    name = layout.names[position]
    if np.isfinite(values).all():
        return values
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        row = int(infinite[0])
        raise _not_finite(row + 1, name, position, values[row])
    if not layout.nullable[position]:
        raise _missing(int(np.flatnonzero(np.isnan(values))[0]) + 1, name, position)
    return values


def rows_to_batch(rows: Sequence[Sequence[Any]], layout: RequestLayout, unit: str) -> FeatureBatch:
    """The exact path: every cell checked in Python, errors name row, column and value."""
    width = layout.width
    if rows and len(rows[0]) == width and _looks_like_header(rows[0], layout):
        raise BadRequest(
            "row 1 is a header row (it repeats the column names); send feature values only, "
            "in schema order, without a header",
            row=1,
        )
    numeric_cols: list[list[float]] = [[] for _ in range(width)]
    text_cols: list[list[str | None]] = [[] for _ in range(width)]
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list | tuple) or len(row) != width:
            got = len(row) if isinstance(row, list | tuple) else 1
            raise BadRequest(
                f"row {number}: expected {width} {unit}s (the schema's features in order), "
                f"got {got}",
                row=number,
                expected=width,
                got=got,
            )
        for position, cell in enumerate(row):
            if layout.categorical[position]:
                text_cols[position].append(_category(cell, layout, number, position))
            else:
                numeric_cols[position].append(_number(cell, layout, number, position))
    count = len(rows)
    if layout.numeric_only:
        matrix = np.array(numeric_cols, dtype=np.float64).T.reshape(count, width)
        return FeatureBatch(rows=count, matrix=matrix)
    columns: dict[str, Any] = {}
    for position, name in enumerate(layout.names):
        if layout.categorical[position]:
            columns[name] = text_cols[position]
        else:
            columns[name] = np.array(numeric_cols[position], dtype=np.float64)
    return FeatureBatch(rows=count, columns=columns)


def _number(cell: Any, layout: RequestLayout, row: int, position: int) -> float:
    if cell is None or (isinstance(cell, str | bytes) and not cell.strip()):
        value = math.nan
    elif isinstance(cell, bool):
        value = float(cell)
    elif isinstance(cell, int | float | str | bytes):
        try:
            value = float(cell)
        except (ValueError, OverflowError):
            shown = cell.decode("utf-8", "replace") if isinstance(cell, bytes) else cell
            raise BadRequest(
                f"row {row}, column {layout.names[position]!r} (position {position + 1}): cannot "
                f"read {_short(shown)!r} as a number",
                row=row,
                column=layout.names[position],
            ) from None
    else:
        raise BadRequest(
            f"row {row}, column {layout.names[position]!r} (position {position + 1}): expected a "
            f"number or null, got {type(cell).__name__}",
            row=row,
            column=layout.names[position],
        )
    if math.isnan(value):
        if not layout.nullable[position]:
            raise _missing(row, layout.names[position], position)
    elif math.isinf(value):
        raise _not_finite(row, layout.names[position], position, value)
    return value


def _category(cell: Any, layout: RequestLayout, row: int, position: int) -> str | None:
    if isinstance(cell, str):
        text: str | None = cell if cell else None
    elif cell is None:
        text = None
    elif isinstance(cell, bool):
        text = str(cell).lower()
    elif isinstance(cell, float):
        text = None if math.isnan(cell) else str(int(cell)) if cell.is_integer() else str(cell)
    elif isinstance(cell, int):
        text = str(cell)
    else:
        raise BadRequest(
            f"row {row}, column {layout.names[position]!r} (position {position + 1}): expected a "
            f"category (text) or null, got {type(cell).__name__}",
            row=row,
            column=layout.names[position],
        )
    if text is None and not layout.nullable[position]:
        raise _missing(row, layout.names[position], position)
    return text


def _looks_like_header(row: Sequence[Any], layout: RequestLayout) -> bool:
    return all(isinstance(c, str) for c in row) and tuple(c.strip() for c in row) == layout.names


def _missing(row: int, name: str, position: int) -> BadRequest:
    return BadRequest(
        f"row {row}, column {name!r} (position {position + 1}): the value is missing, and the "
        "schema marks this column as not nullable; send a value",
        row=row,
        column=name,
    )


def _not_finite(row: int, name: str, position: int, value: float) -> BadRequest:
    return BadRequest(
        f"row {row}, column {name!r} (position {position + 1}): {value} is not a finite number; "
        "send a finite value, or an empty cell / null for a missing one",
        row=row,
        column=name,
    )


def _utf8_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the body is not valid UTF-8 (byte {exc.start}); send UTF-8 text or name the "
            "charset in Content-Type"
        ) from None


def _as_utf8(body: bytes, charset: str) -> bytes:
    try:
        return body.decode(charset).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid {charset} text (byte {exc.start})") from None
    except UnicodeError:  # e.g. idna/punycode refusals, or utf-7 decoding to lone surrogates
        raise BadRequest(
            f"the body is not valid {charset} text; send UTF-8 text or name its real charset"
        ) from None


def _short(value: Any, limit: int = 40) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value
