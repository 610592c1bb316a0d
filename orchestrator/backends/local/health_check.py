"""A real request to prove a freshly started model server predicts, not just that it answers
``/ping``: one CSV row of the training medians (and most frequent categories), built from the
bundle's own schema and fitted transform, so it is valid for any model without extra input."""

from __future__ import annotations

from pathlib import Path

from ml_containers.bundle import SCHEMA_FILE
from ml_containers.schema import ColumnType, load_schema
from ml_containers.transform import FittedTransform

from orchestrator.backends.local.csv_records import csv_line


def typical_row_csv(model_dir: Path) -> bytes:
    """One CSV line (features in schema order) of typical training values."""
    schema = load_schema(Path(model_dir) / SCHEMA_FILE)
    fitted = {column["name"]: column for column in FittedTransform.load(model_dir).columns}
    cells: list[str] = []
    for feature in schema.features:
        value = fitted[feature.name]["impute"]
        if feature.type is ColumnType.CATEGORICAL:
            cells.append(str(value))
        elif feature.type is ColumnType.INTEGER:
            cells.append(str(round(float(value))))
        else:
            cells.append(repr(float(value)))
    return csv_line(cells) + b"\n"
