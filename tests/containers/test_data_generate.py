"""``generate-data`` as a real process: demo datasets, synthetic data, schemas, bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from ml_containers.data import SYNTHETIC_SCHEMAS, load_bundled_schema
from ml_containers.schema import ProblemType, load_schema
from ml_containers.validation import validate_chunk
from test_preprocess_support import run_program

DEMO_ROWS = {"breast_cancer": 569, "wine": 178, "diabetes": 442}


def read_text_table(path: Path) -> pa.Table:
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    return pacsv.read_csv(path, convert_options=options)


@pytest.mark.parametrize("name", sorted(DEMO_ROWS))
def test_demo_csv_matches_its_schema_and_row_count(name, tmp_path):
    out, schema_out = tmp_path / f"{name}.csv", tmp_path / "schema.yaml"
    result = run_program(
        "generate-data",
        "demo",
        "--dataset",
        name,
        "--out",
        str(out),
        "--schema-out",
        str(schema_out),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "out": str(out), "rows": DEMO_ROWS[name], "schema": name, "schema_out": str(schema_out)
    }  # fmt: skip
    schema = load_schema(schema_out)
    assert schema == load_bundled_schema(name)
    table = read_text_table(out)
    assert table.column_names == schema.required_columns()
    assert table.num_rows == DEMO_ROWS[name]
    checked = validate_chunk(table, schema)
    assert checked.rejected == 0, checked.problems.drop_null().to_pylist()[:3]
    if schema.problem_type.is_classification:
        assert set(table.column(schema.target.name).to_pylist()) == set(schema.classes)


def test_breast_cancer_labels_are_readable_and_malignant_is_the_positive_class(tmp_path):
    out = tmp_path / "bc.csv"
    assert run_program("generate-data", "demo", "--out", str(out)).returncode == 0
    schema = load_bundled_schema("breast_cancer")
    assert schema.classes == ["benign", "malignant"]
    diagnoses = read_text_table(out).column("diagnosis").to_pylist()
    assert (diagnoses.count("malignant"), diagnoses.count("benign")) == (212, 357)


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_synthetic_rows_header_schema_and_missing_values(problem, tmp_path):
    out, schema_out = tmp_path / "synthetic.csv", tmp_path / "schema.json"
    result = run_program(
        "generate-data", "synthetic", "--rows", "3000", "--out", str(out), "--seed", "5",
        "--problem-type", problem, "--schema-out", str(schema_out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 3000 and summary["bad_rows"] == 0
    schema = load_schema(schema_out)
    assert schema.name == SYNTHETIC_SCHEMAS[ProblemType(summary["problem_type"])]
    table = read_text_table(out)
    assert table.num_rows == 3000
    assert table.column_names == schema.required_columns()
    kinds = {c.type.value for c in schema.features}
    assert {"numeric", "integer", "categorical"} <= kinds
    checked = validate_chunk(table, schema)
    assert checked.rejected == 0, checked.problems.drop_null().to_pylist()[:3]
    nullable = [c.name for c in schema.features if c.nullable]
    missing_share = np.mean(
        [np.isnan(checked.numeric[n]).mean() for n in nullable if n in checked.numeric]
    )
    assert 0.01 < missing_share < 0.04
    assert not any(np.isnan(checked.numeric["age"]))  # not nullable: never missing


def test_synthetic_bad_rows_fraction_and_kinds(tmp_path):
    out = tmp_path / "bad.csv"
    result = run_program(
        "generate-data", "synthetic", "--rows", "20000", "--out", str(out), "--bad-rows", "0.1"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert 1700 < summary["bad_rows"] < 2300
    assert set(summary["bad_rows_by_kind"]) == {
        "out_of_range", "unknown_category", "unparseable_number", "missing_target", "duplicate"
    }  # fmt: skip
    assert all(n > 250 for n in summary["bad_rows_by_kind"].values())
    schema = load_bundled_schema("synthetic_binary")
    checked = validate_chunk(read_text_table(out), schema)
    # Duplicates need state across chunks (preprocess checks them); everything else is per row.
    duplicates = summary["bad_rows_by_kind"]["duplicate"]
    assert checked.rejected == summary["bad_rows"] - duplicates


def test_synthetic_is_reproducible_per_seed(tmp_path):
    paths = [tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"]
    for path, seed in zip(paths, ["1", "1", "2"], strict=True):
        args = ["synthetic", "--rows", "2000", "--out", str(path), "--seed", seed]
        assert run_program("generate-data", *args, "--bad-rows", "0.05").returncode == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_synthetic_spans_chunks_with_unique_ids(tmp_path):
    out = tmp_path / "big.csv"
    result = run_program("generate-data", "synthetic", "--rows", "250001", "--out", str(out))
    assert result.returncode == 0, result.stderr
    ids = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(include_columns=["customer_id"]))
    values = ids.column("customer_id").to_numpy()
    assert values.size == 250001
    assert np.array_equal(values, np.arange(1, 250002))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synthetic", "--rows", "0", "--out", "x.csv"], "must be at least 1"),
        (["synthetic", "--rows", "ten", "--out", "x.csv"], "not a whole number"),
        (["synthetic", "--rows", "5", "--out", "x.csv", "--bad-rows", "1.5"], "outside [0, 1)"),
        (["synthetic", "--rows", "5", "--out", "x.csv", "--problem-type", "ranking"], "binary"),
        (["demo", "--out", "x.csv", "--dataset", "iris"], "invalid choice"),
        (["demo"], "--out"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(args, message, tmp_path):
    result = run_program("generate-data", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_output_exits_1_with_the_path(tmp_path):
    result = run_program("generate-data", "demo", "--out", str(tmp_path))  # a directory
    assert result.returncode == 1
    assert "cannot write" in result.stderr and str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr
