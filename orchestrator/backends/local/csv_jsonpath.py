"""The CSV subset of JSONPath that SageMaker batch transform's DataProcessing filters accept.

For CSV records SageMaker treats each line as an array of fields, so InputFilter and OutputFilter
are ``$`` (the whole record) or ``$[...]`` with a comma-separated list of indexes and slices:
``$[1:]`` drops an ID column, ``$[0,-1]`` keeps the first and last fields, ``$[0,5:]`` mixes
both. Negative indexes count from the end, slices follow Python's half-open ``start:end``.
Anything else (``$.features``, wildcards, steps) is refused up front with a clear error instead
of being silently misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.backends.local.serving_errors import BatchTransformError

_INDEX = re.compile(r"^-?\d+$")
_SLICE = re.compile(r"^(-?\d+)?:(-?\d+)?$")
_SUPPORTED = "'$', or '$[...]' with indexes and slices, e.g. '$[1:]', '$[0,-1]', '$[0,5:]'"


@dataclass(frozen=True)
class FieldSelector:
    """A parsed filter; :meth:`select` applies it to one record's fields."""

    expression: str
    parts: tuple[int | slice, ...] | None  # None: the whole record ("$")

    @property
    def is_identity(self) -> bool:
        return self.parts is None

    def select(self, fields: list[str], line_number: int) -> list[str]:
        if self.parts is None:
            return fields
        chosen: list[str] = []
        for part in self.parts:
            if isinstance(part, slice):
                chosen.extend(fields[part])
                continue
            if not -len(fields) <= part < len(fields):
                raise BatchTransformError(
                    f"filter {self.expression!r} selects field {part}, but the record on line "
                    f"{line_number} has only {len(fields)} fields; fix the filter or the data"
                )
            chosen.append(fields[part])
        return chosen


def parse_filter(expression: str | None, role: str) -> FieldSelector:
    """Parse an InputFilter/OutputFilter (``role`` names which one in errors)."""
    text = (expression or "$").strip()
    if text == "$":
        return FieldSelector(text, None)
    if not (text.startswith("$[") and text.endswith("]")):
        raise BatchTransformError(
            f"{role} {text!r} is not supported for CSV data; use {_SUPPORTED}"
        )
    items = [item.strip() for item in text[2:-1].split(",")]
    parts: list[int | slice] = []
    for item in items:
        if _INDEX.match(item):
            parts.append(int(item))
            continue
        match = _SLICE.match(item)
        if not match:
            raise BatchTransformError(
                f"{role} {text!r}: {item!r} is not an index or a start:end slice; use {_SUPPORTED}"
            )
        start, end = (int(g) if g is not None else None for g in match.groups())
        parts.append(slice(start, end))
    return FieldSelector(text, tuple(parts))
