"""The decisions of a schema draft, made from a CSV's profile: each column's type, bounds and
role, the target, the problem type and the gate, each with the note that explains it. The rules:

* a column whose present values are numbers (at least :data:`MOSTLY_NUMERIC` of them; the
  rest are named in the comment and quarantined at run time) is ``integer`` (all whole) or
  ``numeric``; a whole-number column unique per row (up to 1% repeats) and named like an ID
  (``id``, ``*_id``, ``key``, ``uuid``) is suggested as an ID column instead, since training on
  a row number leaks;
* a text column unique in every row (or named like an ID, up to 1% repeats) is suggested as an
  ID column (echoed back in batch output, never trained on); one with at most
  :data:`MAX_CATEGORIES` distinct values is ``categorical`` with its categories listed; any
  other text column is left out, with a comment saying why;
* min/max are the observed range widened by :data:`WIDEN_FRACTION` of its width on each side
  (rounded outward, and never below 0 for data that is never negative), so new data slightly
  outside still passes; rows outside are quarantined at run time;
* ``nullable`` is true exactly when the column had missing values;
* the target is ``--target`` or the last column; without ``--problem-type`` text targets and
  whole-number targets with at most :data:`MAX_INTEGER_CLASSES` values are classification
  (binary for two classes), other numbers regression; the gate metric is the default for the
  problem type (``ml_containers.schema.DEFAULT_GATE``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ml_containers.schema import ProblemType

from orchestrator.data.profile import ColumnProfile, CsvProfile, looks_like_id_name
from orchestrator.data.schema_yaml import number as _number
from orchestrator.errors import UserError

MAX_CATEGORIES = 50
MAX_INTEGER_CLASSES = 10
MAX_CLASSES = 100
MIN_ROWS_FOR_ID = 10
WIDEN_FRACTION = 0.1
# A column at least this numeric is numeric; its few other values are quarantined at run time.
MOSTLY_NUMERIC = 0.99
_SHOWN = 8


class InferenceError(UserError):
    """The data cannot be described by a schema as asked; the message names the fix."""


@dataclass
class FeatureDraft:
    """One drafted feature: the schema fields plus the comment explaining them."""

    name: str
    type: str
    note: str
    nullable: bool
    minimum: float | int | None = None
    maximum: float | int | None = None
    categories: list[str] | None = None


@dataclass
class SchemaDraft:
    """Every decision of a draft, before it is rendered as commented YAML."""

    name: str
    source: CsvProfile
    target: str
    problem_type: ProblemType
    problem_note: str
    classes: list[str] | None
    target_note: str
    id_columns: list[tuple[str, str]] = field(default_factory=list)
    features: list[FeatureDraft] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def draft_schema(
    profile: CsvProfile, target: str | None, problem_type: ProblemType | None
) -> SchemaDraft:
    target_name = _target_name(profile, target)
    target_profile = profile.column(target_name)
    chosen, problem_note = _problem_type(target_profile, problem_type)
    classes, target_note = _target(target_profile, chosen)
    draft = SchemaDraft(
        name=_dataset_name(profile.path),
        source=profile,
        target=target_name,
        problem_type=chosen,
        problem_note=problem_note,
        classes=classes,
        target_note=target_note,
    )
    for name in profile.header:
        if not name.strip():
            draft.skipped.append(("(unnamed)", "a column without a name (e.g. a saved index)"))
        elif name != target_name:
            _decide_column(draft, profile.column(name), profile.rows)
    if not draft.features:
        raise InferenceError(
            f"{profile.path}: no column besides the target {target_name!r} can be a feature "
            f"({'; '.join(f'{n}: {why}' for n, why in draft.skipped + draft.id_columns)}); "
            "a model needs at least one numeric or categorical column"
        )
    return draft


def _target_name(profile: CsvProfile, target: str | None) -> str:
    named = [name for name in profile.header if name.strip()]
    if target is None:
        last = profile.header[-1]
        if not last.strip():
            raise InferenceError(
                f"{profile.path}: the last column has no name, so it cannot be the default "
                "target; pass --target COLUMN"
            )
        return last
    if target not in profile.columns:
        shown = ", ".join(repr(n) for n in named[:30]) + (", ..." if len(named) > 30 else "")
        raise InferenceError(
            f"--target {target!r} is not a column of {profile.path}; its columns are {shown}"
        )
    return target


def _problem_type(column: ColumnProfile, wanted: ProblemType | None) -> tuple[ProblemType, str]:
    name = column.name
    if column.present == 0:
        raise InferenceError(
            f"the target {name!r} has no values (every row is missing); pick another --target"
        )
    distinct = column.distinct
    if wanted is not None:
        return wanted, "given with --problem-type"
    if not column.all_numeric:
        what = f"{distinct} distinct text values" if distinct else "many distinct text values"
        guess = ProblemType.BINARY if distinct == 2 else ProblemType.MULTICLASS
        return guess, f"guessed: the target {name!r} holds {what} -> {guess.value}"
    if column.all_whole and distinct is not None and distinct <= MAX_INTEGER_CLASSES:
        guess = ProblemType.BINARY if distinct == 2 else ProblemType.MULTICLASS
        return guess, (
            f"guessed: the target {name!r} holds {distinct} distinct whole numbers (at most "
            f"{MAX_INTEGER_CLASSES}) -> {guess.value}; if they are quantities, use regression"
        )
    what = "numbers with fractions" if not column.all_whole else "many distinct whole numbers"
    return ProblemType.REGRESSION, f"guessed: the target {name!r} holds {what} -> regression"


def _target(column: ColumnProfile, problem_type: ProblemType) -> tuple[list[str] | None, str]:
    """The classes (classification) and a note on the target; refuses what cannot be trained."""
    name = column.name
    missing = (
        f"; {column.missing} rows have no target and will be quarantined" if column.missing else ""
    )
    if problem_type is ProblemType.REGRESSION:
        if not column.all_numeric:
            raise InferenceError(
                f"regression needs a numeric target, but {name!r} holds text such as "
                f"{', '.join(map(repr, column.text_examples))}; use --problem-type binary or "
                "multiclass, or pick another --target"
            )
        if column.minimum == column.maximum:
            raise InferenceError(
                f"the target {name!r} has the single value {column.minimum:g} in every row; there "
                "is nothing to learn. Pick another --target"
            )
        return None, f"numbers from {column.minimum:g} to {column.maximum:g}{missing}"
    if column.counts is None or len(column.counts) > MAX_CLASSES:
        raise InferenceError(
            f"the target {name!r} has more than {MAX_CLASSES} distinct values, too many classes "
            "for classification; use --problem-type regression for a number, or pick another "
            "--target"
        )
    classes = _ordered_classes(column)
    if len(classes) < 2:
        raise InferenceError(
            f"the target {name!r} has a single class {classes[0]!r} in all {column.present} rows; "
            "a classifier needs at least two classes. Add rows of another class or pick another "
            "--target"
        )
    if problem_type is ProblemType.BINARY and len(classes) != 2:
        raise InferenceError(
            f"--problem-type binary needs a target with exactly 2 classes, but {name!r} has "
            f"{len(classes)} ({', '.join(map(repr, classes[:_SHOWN]))}); use multiclass"
        )
    counts = ", ".join(f"{c}: {column.counts[c]}" for c in classes[:_SHOWN])
    more = ", ..." if len(classes) > _SHOWN else ""
    return classes, f"rows per class: {counts}{more}{missing}"


def _ordered_classes(column: ColumnProfile) -> list[str]:
    """Numbers in numeric order, text in alphabetical order: a stable, reviewable label order."""
    assert column.counts is not None
    values = list(column.counts)
    if column.all_numeric:
        return sorted(values, key=float)
    return sorted(values)


def _decide_column(draft: SchemaDraft, column: ColumnProfile, rows: int) -> None:
    name = column.name
    if column.present == 0:
        draft.skipped.append((name, "every value is missing"))
        return
    distinct = column.distinct
    enough_rows = rows >= MIN_ROWS_FOR_ID
    unique = column.unique_per_row and enough_rows
    id_like = looks_like_id_name(name) and column.nearly_unique_per_row and enough_rows
    uniqueness = (
        f"unique per row except {column.repeats} repeats of {rows} (those rows will be "
        "quarantined as duplicates)"
        if column.repeats
        else f"unique in every one of {rows} rows"
    )
    if column.all_numeric:
        if id_like and column.all_whole:
            why = f"whole numbers, {uniqueness}, named like an ID"
            draft.id_columns.append((name, why))
        else:
            draft.features.append(_numeric_feature(column))
        return
    if id_like or (unique and column.numbers < MOSTLY_NUMERIC * column.present):
        draft.id_columns.append((name, f"text, {uniqueness}"))
        return
    if column.numbers >= MOSTLY_NUMERIC * column.present:
        draft.features.append(_numeric_feature(column))
        return
    if distinct is not None and distinct <= MAX_CATEGORIES:
        categories = sorted(column.counts or [])
        mixed = (
            f" (mixed with numbers, e.g. {', '.join(map(repr, column.text_examples))})"
            if column.numbers
            else ""
        )
        draft.features.append(
            FeatureDraft(
                name=name,
                type="categorical",
                note=f"text with {distinct} distinct values{mixed} -> categorical"
                + _missing_note(column),
                nullable=column.missing > 0,
                categories=categories,
            )
        )
        return
    count = f"{distinct}" if distinct is not None else f"more than {MAX_CATEGORIES}"
    if column.numbers:
        why = (
            f"partly numbers, but {column.present - column.numbers} values are not (e.g. "
            f"{', '.join(map(repr, column.text_examples))}); write missing values as empty "
            "cells and infer again to make it numeric"
        )
    else:
        why = (
            f"text with {count} distinct values, too many for a category (at most "
            f"{MAX_CATEGORIES}) and not unique per row"
        )
    draft.skipped.append((name, why))


def _numeric_feature(column: ColumnProfile) -> FeatureDraft:
    integer = column.whole_numbers == column.numbers
    low, high = _widened(column.minimum, column.maximum, integer)
    kind = "whole numbers" if integer else "numbers"
    note = f"{kind} {_number(column.minimum)} .. {_number(column.maximum)}" + _missing_note(column)
    if low is None:
        note += " (range too wide to bound: min/max left open)"
    not_numbers = column.present - column.numbers
    if not_numbers:
        note += (
            f"; {not_numbers} values are not numbers (e.g. "
            f"{', '.join(map(repr, column.text_examples))}): those rows will be quarantined"
        )
    if integer and column.distinct is not None and column.distinct <= MAX_INTEGER_CLASSES:
        note += (
            f"; only {column.distinct} distinct values: if they are codes, not quantities, "
            "make it categorical"
        )
    if column.distinct == 1:
        note += "; a single value carries no information: consider removing it"
    return FeatureDraft(
        name=column.name,
        type="integer" if integer else "numeric",
        note=note,
        nullable=column.missing > 0,
        minimum=low,
        maximum=high,
    )


def _widened(
    low: float, high: float, integer: bool
) -> tuple[float | int | None, float | int | None]:
    """The observed range widened and rounded outward to a readable step."""
    span = high - low
    margin = span * WIDEN_FRACTION if span > 0 else max(abs(low) * WIDEN_FRACTION, 1.0)
    if not (math.isfinite(span) and math.isfinite(margin) and margin > 0):
        return None, None  # astronomically wide: leave both sides open
    step = 10.0 ** math.floor(math.log10(margin))
    if integer:
        step = max(step, 1.0)
    digits = max(0, -math.floor(math.log10(step)))
    new_low = round(math.floor((low - margin) / step) * step, digits)
    new_high = round(math.ceil((high + margin) / step) * step, digits)
    if low >= 0 > new_low:
        new_low = 0.0
    if integer:
        return int(new_low), int(new_high)
    return new_low, new_high


def _missing_note(column: ColumnProfile) -> str:
    return f", {column.missing} missing" if column.missing else ", none missing"


def _dataset_name(path: Path) -> str:
    stem = path.name.split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_-]+", "_", stem).strip("_-")
    return name or "dataset"
