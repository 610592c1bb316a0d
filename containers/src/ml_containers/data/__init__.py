"""Datasets for demos, tests and benchmarks: three real tables that ship inside scikit-learn
(binary, multiclass, regression), a synthetic generator that scales to millions of rows, and the
bundled schema of each (``schemas/*.yaml``)."""

from __future__ import annotations

from .bundled import (
    DEMO_DATASETS,
    SYNTHETIC_SCHEMAS,
    bundled_schema_path,
    load_bundled_schema,
    write_schema,
)
from .demo import demo_table, write_demo
from .synthetic import SyntheticSummary, write_synthetic

__all__ = [
    "DEMO_DATASETS",
    "SYNTHETIC_SCHEMAS",
    "SyntheticSummary",
    "bundled_schema_path",
    "demo_table",
    "load_bundled_schema",
    "write_demo",
    "write_schema",
    "write_synthetic",
]
