"""Helpers for running the data and preprocessing programs as real processes (no tests here).

Kept out of ``conftest.py`` so test modules can import them by a unique module name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def run_program(
    program: str, *args: str, root: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run an installed entry point (``preprocess``, ``generate-data``...) as a real process,
    with ``OPT_ML_ROOT`` set to ``root`` when given."""
    env = dict(os.environ)
    if root is not None:
        env["OPT_ML_ROOT"] = str(root)
    return subprocess.run(
        [str(VENV_BIN / program), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def lay_out_processing_inputs(root: Path, csv_files: list[Path], schema_file: Path | None) -> Path:
    """Copy CSVs to ``processing/input/data`` and the schema to ``processing/input/schema``
    below ``root`` (SageMaker's ProcessingInput layout); returns ``root``."""
    data_dir = root / "processing" / "input" / "data"
    schema_dir = root / "processing" / "input" / "schema"
    data_dir.mkdir(parents=True, exist_ok=True)
    schema_dir.mkdir(parents=True, exist_ok=True)
    for csv_file in csv_files:
        shutil.copy(csv_file, data_dir / csv_file.name)
    if schema_file is not None:
        shutil.copy(schema_file, schema_dir / f"schema{schema_file.suffix}")
    return root


@dataclass(frozen=True)
class PreprocessedData:
    """Where one ``preprocess`` run left its inputs and outputs."""

    root: Path
    csv: Path
    schema_file: Path
    stdout: str

    @property
    def output(self) -> Path:
        return self.root / "processing" / "output"

    @property
    def train(self) -> Path:
        return self.output / "train" / "train.csv"

    @property
    def validation(self) -> Path:
        return self.output / "validation" / "validation.csv"

    @property
    def test(self) -> Path:
        return self.output / "test" / "test.csv"

    @property
    def transform_dir(self) -> Path:
        return self.output / "transform"

    @property
    def batch(self) -> Path:
        return self.output / "batch" / "batch.csv"

    @property
    def batch_labels(self) -> Path:
        return self.output / "batch" / "labels.csv"

    @property
    def report(self) -> Path:
        return self.output / "report" / "report.json"

    @property
    def quarantine(self) -> Path:
        return self.output / "report" / "quarantine.csv"
