"""A streaming profile of a CSV's columns: what ``orchestrator schema infer`` decides from.

Per column it counts missing values, values that parse as numbers (with the exact rules the
row validator applies, so a column profiled as numeric passes validation), whole numbers,
min/max, distinct values (exactly, up to :data:`DISTINCT_CAP`) and whether every value is
unique (bounded memory, via preprocessing's duplicate detector). Repeats are counted on for a
column named like an ID (``id``, ``*_id``, ``key``, ...), so an ID column with a few duplicated
rows is still recognised; other columns stop tracking at their first repeat.

Files up to :data:`FULL_SCAN_BYTES` are read whole, in chunks, so memory stays flat. Larger files
are *sampled*: :data:`SAMPLE_BLOCKS` blocks of :data:`SAMPLE_BLOCK_BYTES` spread evenly over the
file, each cut to whole lines, so a sorted file still shows its whole range in the profile. A
sample can miss rare values; the draft says so, and rows outside the drafted schema are
quarantined at run time rather than failing the job.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from ml_containers.csvio import CsvFormatError, iter_text_chunks, read_header
from ml_containers.preprocess.dedupe import SeenHashes, mark_duplicates, row_hashes
from ml_containers.validation import MISSING_TOKENS, NUMBER_PATTERN

from orchestrator.data.text_values import is_number, value_counts
from orchestrator.errors import UserError

FULL_SCAN_BYTES = 64 << 20
SAMPLE_BLOCKS = 16
SAMPLE_BLOCK_BYTES = 4 << 20
CHUNK_ROWS = 50_000
# Distinct values are counted exactly up to this many per column; beyond it a column is "high
# cardinality" and only its uniqueness is still tracked.
DISTINCT_CAP = 1_000
_EXAMPLES = 3
# Repeats tolerated in an ID-like column before it stops being tracked as one.
MAX_ID_REPEAT_FRACTION = 0.01
ID_NAME = re.compile(r"(^|[_\s.-])(id|key|uuid|guid)$|^(id|key|uuid|guid)([_\s.-]|$)|[a-z]Id$|ID$")


def looks_like_id_name(name: str) -> bool:
    return bool(ID_NAME.search(name.strip()))


class ProfileError(UserError):
    """The file cannot be profiled (missing, empty, no header); the message says how to fix it."""


@dataclass
class ColumnProfile:
    """Running statistics of one column's text values (trimmed, as the validator sees them)."""

    name: str
    rows: int = 0
    missing: int = 0
    numbers: int = 0
    whole_numbers: int = 0
    minimum: float = math.inf
    maximum: float = -math.inf
    counts: Counter[str] | None = field(default_factory=Counter)
    repeats: int = 0
    unique: bool = True
    text_examples: list[str] = field(default_factory=list)
    _seen: SeenHashes | None = field(default_factory=SeenHashes, repr=False)

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def all_numeric(self) -> bool:
        """Every present value is a finite number (and at least one is present)."""
        return self.present > 0 and self.numbers == self.present

    @property
    def all_whole(self) -> bool:
        return self.all_numeric and self.whole_numbers == self.numbers

    @property
    def distinct(self) -> int | None:
        """The number of distinct present values, or None when above :data:`DISTINCT_CAP`."""
        return None if self.counts is None else len(self.counts)

    @property
    def nearly_unique_per_row(self) -> bool:
        """No value missing and at most :data:`MAX_ID_REPEAT_FRACTION` of them repeats (only
        counted for ID-like names; other columns are nearly unique only when unique)."""
        return (
            self.missing == 0
            and self._tracking_repeats_or_unique
            and self.repeats <= MAX_ID_REPEAT_FRACTION * self.present
        )

    @property
    def _tracking_repeats_or_unique(self) -> bool:
        return self.present > 0 and (self.unique or self._seen is not None)

    @property
    def unique_per_row(self) -> bool:
        """Every row has a value and no value repeats: what an ID column looks like."""
        return self.missing == 0 and self.present > 0 and self.unique

    def update(self, values: pa.Array) -> None:
        self.rows += len(values)
        missing = pc.is_in(values, value_set=pa.array(MISSING_TOKENS, type=pa.string()))
        present = values.filter(pc.invert(missing))
        self.missing += len(values) - len(present)
        if not len(present):
            return
        looks_numeric = pc.match_substring_regex(present, NUMBER_PATTERN)
        numbers = np.asarray(
            pc.cast(present.filter(looks_numeric), pa.float64()).to_numpy(zero_copy_only=False)
        )
        numbers = numbers[np.isfinite(numbers)]  # "1e999" is out of range for the validator too
        self.numbers += len(numbers)
        if len(numbers):
            self.whole_numbers += int((numbers == np.floor(numbers)).sum())
            self.minimum = min(self.minimum, float(numbers.min()))
            self.maximum = max(self.maximum, float(numbers.max()))
        if len(self.text_examples) < _EXAMPLES and len(numbers) < len(present):
            for value in present.filter(pc.invert(looks_numeric)).unique().to_pylist():
                if len(self.text_examples) < _EXAMPLES and value not in self.text_examples:
                    self.text_examples.append(value)
        self._count(present)

    def _count(self, present: pa.Array) -> None:
        if self.counts is not None:
            for value, count in value_counts(present):
                self.counts[value] += count
            if len(self.counts) > DISTINCT_CAP:
                self.counts = None
        if self._seen is None:
            return
        repeats = int(mark_duplicates(row_hashes([present]), self._seen).sum())
        if repeats:
            self.unique = False
            self.repeats += repeats
            too_many = self.repeats > MAX_ID_REPEAT_FRACTION * (self.present or 1)
            if not looks_like_id_name(self.name) or too_many:
                self._seen = None  # not an ID: stop paying 8 bytes per value


@dataclass
class CsvProfile:
    """The whole file's profile: the header, one :class:`ColumnProfile` per named column."""

    path: Path
    header: list[str]
    columns: dict[str, ColumnProfile]
    rows: int = 0
    malformed_rows: int = 0
    sampled: bool = False
    file_bytes: int = 0

    def column(self, name: str) -> ColumnProfile:
        return self.columns[name]


def profile_csv(path: Path) -> CsvProfile:
    """Profile ``path``; see the module docstring for when it samples."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(
            f"data file {path} does not exist or is not a file; pass the path of a CSV"
        )
    try:
        header = read_header(path)
    except CsvFormatError as exc:
        raise ProfileError(str(exc)) from None
    check_header_line(path, header)
    named = [name for name in header if name.strip()]
    profile = CsvProfile(
        path=path,
        header=header,
        columns={name: ColumnProfile(name) for name in named},
        file_bytes=path.stat().st_size,
    )
    profile.sampled = profile.file_bytes > FULL_SCAN_BYTES
    chunks = _sampled_chunks(path, header, named) if profile.sampled else None
    if chunks is None:
        chunks = _all_chunks(path, header, named, profile)
    try:
        for table in chunks:
            profile.rows += table.num_rows
            for name in named:
                column = table.column(name).combine_chunks()
                profile.columns[name].update(pc.utf8_trim_whitespace(column))
    except CsvFormatError as exc:
        raise ProfileError(str(exc)) from None
    if profile.rows == 0:
        raise ProfileError(
            f"{path} has a header but no data rows; a schema is drafted from the data, so add rows"
        )
    return profile


def check_header_line(path: Path, header: list[str]) -> None:
    """Refuse a header that repeats a name, or a first line that is data rather than names."""
    stripped = [name.strip() for name in header]
    repeated = sorted({n for n in stripped if n and stripped.count(n) > 1})
    if repeated:
        raise ProfileError(
            f"{path}: the header repeats the column name(s) {', '.join(map(repr, repeated))}; "
            "give every column a unique name"
        )
    if all(is_number(name) for name in stripped if name):
        raise ProfileError(
            f"{path}: the first line ({','.join(header[:5])}{', ...' if len(header) > 5 else ''}) "
            "is all numbers, so the file has no header; add a first line naming the columns"
        )


def _all_chunks(
    path: Path, header: list[str], named: list[str], profile: CsvProfile
) -> Iterator[pa.Table]:
    def skipped(_row: object) -> None:
        profile.malformed_rows += 1

    chunks: Iterator[pa.Table] = iter_text_chunks(path, header, named, CHUNK_ROWS, skipped)
    return chunks


def _sampled_chunks(path: Path, header: list[str], named: list[str]) -> Iterator[pa.Table]:
    """Evenly spaced blocks of whole lines; a block's partial first and last lines are dropped
    (the first block starts after the header). Malformed lines are skipped."""
    size = path.stat().st_size
    step = max((size - SAMPLE_BLOCK_BYTES) // max(SAMPLE_BLOCKS - 1, 1), 1)
    options = (
        pacsv.ReadOptions(column_names=list(header), use_threads=False),
        pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            include_columns=named,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    with path.open("rb") as handle:
        for block in range(SAMPLE_BLOCKS):
            handle.seek(block * step)
            data = handle.read(SAMPLE_BLOCK_BYTES)
            start = data.find(b"\n") + 1  # block 0: skips the header line
            end = data.rfind(b"\n") + 1
            if start <= 0 or end <= start:
                continue
            try:
                yield pacsv.read_csv(
                    io.BytesIO(data[start:end]),
                    read_options=options[0],
                    parse_options=options[1],
                    convert_options=options[2],
                )
            except pa.ArrowInvalid as exc:
                raise CsvFormatError(f"{path}: cannot parse CSV: {exc}") from None
