"""The inputs every benchmark needs, made with the project's own programs and cached under
``benchmarks/.work`` (delete it to start over):

- demo: ``generate-data demo`` (breast cancer, 30 numeric features) -> ``preprocess`` ->
  ``train``; the bundle every serving peer scores (the peers get its very ``model.ubj``);
- synthetic: ``generate-data synthetic`` -> ``preprocess``; the training benchmark trains on its
  train split and the batch benchmark scores with that model;
- batch files: synthetic rows as batch transform sends them: features in schema order, no header,
  no ID, no target.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from ml_containers.data import load_bundled_schema

from .common import BIN, WORK, run_checked

SYNTHETIC_SCHEMA = "synthetic_binary"
TRAIN_FRACTION = 0.7  # preprocess's defaults keep 15% + 15% for validation and test


@dataclass(frozen=True)
class PreprocessedData:
    """A preprocess job's output folder: ``train/``, ``validation/``, ``transform/``, ..."""

    output: Path

    def channel(self, name: str) -> Path:
        return self.output / name


def _cli(name: str) -> str:
    return str(BIN / name)


def _done_marker(folder: Path) -> Path:
    return folder / ".complete"


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def preprocess(root: Path, data_csv: Path, schema_file: Path) -> PreprocessedData:
    """Run ``preprocess`` with ``root`` standing in for /opt/ml."""
    data_dir = root / "processing" / "input" / "data"
    schema_dir = root / "processing" / "input" / "schema"
    data_dir.mkdir(parents=True, exist_ok=True)
    schema_dir.mkdir(parents=True, exist_ok=True)
    os.replace(data_csv, data_dir / "data.csv")
    shutil.copy(schema_file, schema_dir / f"schema{schema_file.suffix}")
    run_checked([_cli("preprocess")], "preprocess", env={"OPT_ML_ROOT": str(root)})
    return PreprocessedData(root / "processing" / "output")


def train_job_root(root: Path, data: PreprocessedData, hyperparameters: dict[str, str]) -> Path:
    """An /opt/ml for ``train``: channels linked to the preprocess output (no copies)."""
    _fresh(root)
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (root / "input" / "data").mkdir(parents=True)
    for channel in ("train", "validation", "transform"):
        (root / "input" / "data" / channel).symlink_to(data.channel(channel))
    return root


def demo_bundle(work: Path = WORK) -> Path:
    """The demo model bundle (``train``'s default hyperparameters) that the serving peers use."""
    folder = work / "demo"
    model = folder / "train" / "model"
    if _done_marker(folder).exists():
        return model
    _fresh(folder)
    raw = folder / "demo.csv"
    schema = folder / "schema.yaml"
    run_checked(
        [_cli("generate-data"), "demo", "--out", str(raw), "--schema-out", str(schema)],
        "generate-data demo",
    )
    data = preprocess(folder / "preprocess", raw, schema)
    root = train_job_root(folder / "train", data, {})
    run_checked([_cli("train")], "train (demo model)", env={"OPT_ML_ROOT": str(root)})
    _done_marker(folder).touch()
    return model


def demo_rows(work: Path = WORK) -> Path:
    """The raw demo rows (header, features in schema order, target last) serving requests use."""
    return work / "demo" / "preprocess" / "processing" / "input" / "data" / "data.csv"


def synthetic_preprocessed(train_rows: int, work: Path = WORK) -> PreprocessedData:
    """Synthetic binary data preprocessed so the train split holds about ``train_rows`` rows."""
    folder = work / f"synthetic-{train_rows}"
    output = folder / "preprocess" / "processing" / "output"
    if _done_marker(folder).exists():
        return PreprocessedData(output)
    _fresh(folder)
    raw = folder / "synthetic.csv"
    schema = folder / "schema.yaml"
    rows = round(train_rows / TRAIN_FRACTION)
    run_checked(
        [
            _cli("generate-data"),
            "synthetic",
            "--rows",
            str(rows),
            "--out",
            str(raw),
            "--schema-out",
            str(schema),
            "--seed",
            "7",
        ],
        "generate-data synthetic",
    )
    data = preprocess(folder / "preprocess", raw, schema)
    if (data.output / "batch").exists():  # the raw test rows: unused here, and large
        shutil.rmtree(data.output / "batch")
    _done_marker(folder).touch()
    return data


def batch_file(rows: int, work: Path = WORK) -> Path:
    """``rows`` fresh synthetic rows as batch transform input (features only, no header)."""
    path = work / "batch" / f"features-{rows}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".raw.csv")
    run_checked(
        [
            _cli("generate-data"),
            "synthetic",
            "--rows",
            str(rows),
            "--out",
            str(raw),
            "--seed",
            "11",
        ],
        "generate-data synthetic (batch input)",
    )
    write_features_only(raw, path.with_suffix(".partial"))
    raw.unlink()
    os.replace(path.with_suffix(".partial"), path)
    return path


def write_features_only(raw_csv: Path, out: Path) -> None:
    """Keep the schema's features in schema order, text unchanged, no header (streamed)."""
    features = load_bundled_schema(SYNTHETIC_SCHEMA).feature_names
    convert = pacsv.ConvertOptions(
        include_columns=features,
        column_types=dict.fromkeys(features, pa.string()),
        strings_can_be_null=False,
    )
    reader = pacsv.open_csv(raw_csv, convert_options=convert)
    # Unquoted, as batch transform input usually is (pyarrow's "needed" would quote every
    # string cell). The synthetic values never hold commas, quotes or newlines.
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with pacsv.CSVWriter(out, reader.schema, write_options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)


def load_bundle_feature_names(model_dir: Path) -> list[str]:
    """The raw input columns serving expects (schema order)."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    return list(manifest["input_columns"])
