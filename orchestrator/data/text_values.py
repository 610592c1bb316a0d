"""A CSV column's text values read the way the row validator reads them
(``ml_containers.validation``), so what data/ decides from (a profile, a pre-flight check) agrees
with what the training job will accept: which values are numbers, and how often each occurs."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from ml_containers.validation import NUMBER_PATTERN

_NUMBER = re.compile(NUMBER_PATTERN)


def is_number(text: str) -> bool:
    """A plain decimal number in float range: what the validator accepts as one (``1e999``,
    ``inf``, ``0x1f`` and ``1_000`` are not)."""
    return _NUMBER.fullmatch(text) is not None and math.isfinite(float(text))


def value_counts(values: pa.Array) -> Iterator[tuple[str, int]]:
    """``(value, occurrences)`` for every distinct value of one chunk of a text column."""
    counted = pc.value_counts(values)
    return zip(
        counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
    )
