"""The pre-flight checks on training data, run in seconds before anything trains, so a CSV that
does not fit its schema (a missing column, a wrong type in most rows) or whose target leaves
nothing to learn fails with the reason instead of minutes into a job."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
from ml_containers.csvio import CsvFormatError, iter_text_chunks, read_header
from ml_containers.preprocess.checks import CsvCheck, check_csv
from ml_containers.preprocess.errors import PreprocessError
from ml_containers.schema import DatasetSchema
from ml_containers.validation import MISSING_TOKENS

from orchestrator.data.text_values import is_number, value_counts
from orchestrator.errors import UserError

_CHUNK_ROWS = 100_000
_DISTINCT_TARGET_CAP = 10_000


class DataError(UserError):
    """The data or its schema cannot be used; the message names the file and the fix."""


def check_data(path: Path, schema: DatasetSchema, rejection_threshold: float) -> CsvCheck:
    """Run preprocessing's own row checks; fail when the job would fail on them."""
    return check_data_files([path], schema, rejection_threshold, path)


def check_data_files(
    paths: list[Path], schema: DatasetSchema, rejection_threshold: float, where: Path
) -> CsvCheck:
    """The checks over several CSV files taken together, as preprocessing reads them (``where``
    names them in messages): each file's rows, then the rejection rate and the target's values
    over all of them (one file may well hold a single class)."""
    check = CsvCheck()
    for path in paths:
        try:
            found = check_csv(path, schema)
        except PreprocessError as exc:
            raise DataError(f"{path} does not match its schema: {exc}") from None
        check.rows_checked += found.rows_checked
        check.rows_rejected += found.rows_rejected
        check.reasons.update(found.reasons)
        check.examples += found.examples[: max(0, 3 - len(check.examples))]
    if check.rows_checked == 0:
        raise DataError(f"{where} has a header but no data rows; add rows to train on")
    if check.rejection_rate > rejection_threshold:
        reasons = ", ".join(f"{reason} ({count})" for reason, count in check.reasons.most_common(5))
        examples = "; ".join(check.examples[:3])
        raise DataError(
            f"{where}: {check.rows_rejected} of {check.rows_checked} rows "
            f"({check.rejection_rate:.1%}) do not match schema {schema.name!r}, above the "
            f"rejection threshold {rejection_threshold:.1%}. Most common problems: {reasons}. "
            f"First examples: {examples}. Fix the data or the schema (types, ranges, "
            "categories), or raise pipeline.preprocess.rejection_threshold."
        )
    counts: Counter[str] = Counter()
    for path in paths:
        counts.update(target_value_counts(path, schema))
    check_target_counts(where, schema, counts)
    return check


def check_target_counts(path: Path, schema: DatasetSchema, counts: Counter[str]) -> None:
    """Fail when the target leaves nothing to learn: fewer than two classes present for
    classification, a single value for regression. The row checks pass such data (each row is
    fine on its own), and the job would only fail after preprocessing, or train a useless model.
    ``counts`` come from the target column alone (of one file or several), a fraction of the
    row checks' cost."""
    target = schema.target.name
    if schema.problem_type.is_classification:
        present = [c for c in schema.classes if counts.get(c)]
        if len(present) < 2:
            found = f"only the class {present[0]!r}" if present else "none of the schema's classes"
            raise DataError(
                f"{path}: the target {target!r} holds {found} (schema classes: "
                f"{', '.join(schema.classes)}); a {schema.problem_type.value} model needs rows of "
                "at least two classes. Add rows of the other classes, or fix target.classes to "
                "match the values in the file"
            )
        return
    numbers = {float(v) for v in counts if is_number(v)}
    if len(numbers) < 2:
        raise DataError(
            f"{path}: the target {target!r} has {'one value' if numbers else 'no numeric value'} "
            "in every row; a regression model needs a target that varies. Check the target "
            "column in the schema and the data"
        )


def target_value_counts(path: Path, schema: DatasetSchema) -> Counter[str]:
    """How often each (trimmed) target value occurs, streamed in chunks; missing values and
    malformed rows are left out, as the row checks reject them anyway. Values are counted
    exactly up to a cap, far above any class count, so memory stays bounded for regression."""
    counts: Counter[str] = Counter()
    target = schema.target.name
    try:
        header = read_header(path)
        for table in iter_text_chunks(path, header, [target], _CHUNK_ROWS, lambda _row: None):
            values = pc.utf8_trim_whitespace(table.column(target).combine_chunks())
            for value, count in value_counts(values):
                if value not in MISSING_TOKENS or value in schema.classes:
                    counts[value] += count
            if len(counts) > _DISTINCT_TARGET_CAP:
                break
    except CsvFormatError as exc:
        raise DataError(f"{path} does not match its schema: {exc}") from None
    return counts
