"""Demo tables built from datasets that ship inside scikit-learn (no download needed).

``breast_cancer`` (binary: target ``diagnosis`` = ``benign``/``malignant``), ``wine`` (multiclass:
``cultivar`` = ``class_0``/``class_1``/``class_2``) and ``diabetes`` (regression:
``disease_progression``, raw unscaled features). Feature names are scikit-learn's own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from ..schema import ColumnType
from .bundled import DEMO_DATASETS, load_bundled_schema
from .writer import write_table_csv


def demo_table(name: str) -> pa.Table:
    """The demo dataset ``name`` as a table: features in schema order, then the target."""
    if name not in DEMO_DATASETS:
        raise ValueError(f"unknown demo dataset {name!r}; choose one of {list(DEMO_DATASETS)}")
    # Imported here: scikit-learn takes a second to import and only the demo tables need it.
    from sklearn import datasets

    schema = load_bundled_schema(name)
    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
    elif name == "wine":
        bunch = datasets.load_wine()
    else:
        bunch = datasets.load_diabetes(scaled=False)
    columns: dict[str, pa.Array] = {}
    source = dict(zip(bunch.feature_names, np.asarray(bunch.data, dtype=np.float64).T, strict=True))
    for column in schema.features:
        values = source[column.name]
        if column.type is ColumnType.CATEGORICAL:
            columns[column.name] = pa.array([str(int(v)) for v in values], type=pa.string())
        elif column.type is ColumnType.INTEGER:
            columns[column.name] = pa.array(values.astype(np.int64))
        else:
            columns[column.name] = pa.array(values)
    if schema.problem_type.is_classification:
        names = [str(n) for n in bunch.target_names]
        columns[schema.target.name] = pa.array([names[int(i)] for i in bunch.target])
    else:
        columns[schema.target.name] = pa.array(np.asarray(bunch.target, dtype=np.float64))
    return pa.table(columns)


def write_demo(name: str, out: Path) -> int:
    """Write the demo dataset as CSV with a header; returns the number of rows."""
    table = demo_table(name)
    write_table_csv(table, out)
    return table.num_rows
