"""Preprocessing (the Processing job): validate rows against the schema, quarantine the bad ones,
split train/validation/test reproducibly and fit the feature transform on the training split.

The pieces are importable so the orchestrator can run the same checks before any job starts:
:func:`check_header`, :func:`check_csv` (header plus row validation of a sample),
:func:`~ml_containers.validation.validate_chunk`, :func:`assign_splits` and
:func:`run_preprocess`.
"""

from __future__ import annotations

from ..validation import ValidatedChunk, validate_chunk
from .checks import CsvCheck, check_csv
from .errors import PreprocessError
from .inputs import check_header, find_input_files, read_schema
from .pipeline import PreprocessConfig, run_preprocess
from .split import SPLIT_NAMES, assign_splits

__all__ = [
    "SPLIT_NAMES",
    "CsvCheck",
    "PreprocessConfig",
    "PreprocessError",
    "ValidatedChunk",
    "assign_splits",
    "check_csv",
    "check_header",
    "find_input_files",
    "read_schema",
    "run_preprocess",
    "validate_chunk",
]
