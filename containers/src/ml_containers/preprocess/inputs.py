"""Where preprocessing finds its inputs, and the checks a CSV's header must pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..schema import DatasetSchema, SchemaError, load_schema
from .errors import PreprocessError

INPUT_DATA_DIR = "/opt/ml/processing/input/data"
INPUT_SCHEMA_DIR = "/opt/ml/processing/input/schema"
OUTPUT_DIR = "/opt/ml/processing/output"
_SHOWN_COLUMNS = 40


def find_input_files(directory: Path, required: bool = True) -> list[Path]:
    """Every ``*.csv`` below ``directory`` (S3 prefixes may nest), in a stable sorted order.
    ``required=False``: none is fine (one host of several may get no object of its input)."""
    if not directory.is_dir():
        if not required:
            return []
        raise PreprocessError(
            f"input directory {directory} does not exist; mount the data as a ProcessingInput "
            f"at {INPUT_DATA_DIR} (locally: put CSV files under $OPT_ML_ROOT/processing/input/data)"
        )
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    if not files and required:
        present = sorted(p.name for p in directory.rglob("*") if p.is_file())[:10]
        raise PreprocessError(
            f"no input files: no *.csv file under {directory} (found {present or 'nothing'}); "
            "provide one or more CSV files with a header row"
        )
    return files


def read_schema(directory: Path) -> DatasetSchema:
    """The dataset schema from its input directory; any problem becomes a PreprocessError."""
    try:
        return load_schema(directory)
    except SchemaError as exc:
        raise PreprocessError(f"invalid schema: {exc}") from None


def check_header(header: Sequence[str], schema: DatasetSchema, source: str = "the CSV") -> None:
    """Fail with a clear message when a column the schema needs is missing or repeated.

    Extra columns are allowed and ignored. The message names the missing columns and lists the
    columns that were found, with a hint when only case or surrounding spaces differ.
    """
    counts = Counter(header)
    required = schema.required_columns()
    missing = [name for name in required if name not in counts]
    if missing:
        found = list(header)
        shown = ", ".join(repr(c) for c in found[:_SHOWN_COLUMNS])
        if len(found) > _SHOWN_COLUMNS:
            shown += f", ... ({len(found)} columns)"
        loose = {c.strip().lower(): c for c in found}
        hints = [
            f"{name!r} looks like {loose[name.strip().lower()]!r}"
            for name in missing
            if name.strip().lower() in loose
        ]
        hint = f" ({'; '.join(hints)}: names must match exactly)" if hints else ""
        raise PreprocessError(
            f"{source} is missing required column(s) {', '.join(repr(m) for m in missing)} of "
            f"schema {schema.name!r}{hint}; found columns: {shown}. Rename the columns or fix the "
            "schema so every ID column, feature and the target appear in the header."
        )
    repeated = [name for name in required if counts[name] > 1]
    if repeated:
        raise PreprocessError(
            f"{source} has the column(s) {', '.join(repr(r) for r in repeated)} more than once "
            "in its header; each schema column must appear exactly once"
        )
