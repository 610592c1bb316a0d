"""``preprocess`` fails clearly: exit 1 with the reason on stderr and in /opt/ml/output/message,
or exit 2 with argparse's message for bad arguments; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ml_containers.data import bundled_schema_path, load_bundled_schema
from test_preprocess_support import lay_out_processing_inputs, run_program


def assert_failed(root: Path, result, *fragments: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = (root / "output" / "message").read_text()
    assert message.count("\n") == 1  # one line, as a processing job's ExitMessage
    for fragment in fragments:
        assert fragment in message, message
        assert fragment in result.stderr
    return message


@pytest.fixture(scope="module")
def bad_synthetic(tmp_path_factory) -> tuple[Path, Path, dict]:
    work = tmp_path_factory.mktemp("bad-synthetic")
    csv_file, schema_file = work / "bad.csv", work / "schema.yaml"
    result = run_program(
        "generate-data", "synthetic", "--rows", "2000", "--bad-rows", "0.2", "--seed", "3",
        "--out", str(csv_file), "--schema-out", str(schema_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return csv_file, schema_file, json.loads(result.stdout)


def test_rejection_rate_over_threshold_fails_with_count_rate_and_reasons(bad_synthetic, tmp_path):
    csv_file, schema_file, injected = bad_synthetic
    root = lay_out_processing_inputs(tmp_path, [csv_file], schema_file)
    result = run_program("preprocess", "--rejection-threshold", "0.1", root=root)
    rejected = injected["bad_rows"]
    rate = f"{rejected / 2000:.2%}"
    message = assert_failed(
        root, result, f"{rejected} of 2000 rows were rejected ({rate})", "--rejection-threshold 0.1"
    )
    assert "most frequent reasons:" in message and "report/quarantine.csv" in message
    assert "age: above maximum (" in message
    report = json.loads((root / "processing/output/report/report.json").read_text())
    assert report["status"] == "failed" and report["failure"] in message
    assert report["rows_rejected"] == rejected
    assert not (root / "processing/output/train/train.csv").exists()


def test_the_same_data_passes_under_a_higher_threshold(bad_synthetic, tmp_path):
    csv_file, schema_file, _ = bad_synthetic
    root = lay_out_processing_inputs(tmp_path, [csv_file], schema_file)
    result = run_program("preprocess", "--rejection-threshold", "0.3", root=root)
    assert result.returncode == 0, result.stderr
    assert not (root / "output" / "message").exists()


def test_missing_column_is_named_with_the_columns_found(tmp_path):
    csv_file = tmp_path / "data.csv"
    csv_file.write_text(
        "age,Sex,bmi,bp,s1,s2,s3,s4,s5,disease_progression\n50,1,20,80,1,1,1,1,1,9\n"
    )
    root = lay_out_processing_inputs(tmp_path, [csv_file], bundled_schema_path("diabetes"))
    result = run_program("preprocess", root=root)
    message = assert_failed(root, result, "missing required column(s) 'sex', 's6'")
    assert "'sex' looks like 'Sex'" in message
    assert "found columns: 'age', 'Sex', 'bmi'" in message
    assert "data.csv" in message


def test_no_input_files(tmp_path):
    root = lay_out_processing_inputs(tmp_path, [], bundled_schema_path("wine"))
    (root / "processing/input/data/notes.txt").write_text("not a csv")
    result = run_program("preprocess", root=root)
    assert_failed(root, result, "no input files", "notes.txt")


def test_missing_input_directory(tmp_path):
    lay_out_processing_inputs(tmp_path, [], bundled_schema_path("wine"))
    (tmp_path / "processing/input/data").rmdir()
    result = run_program("preprocess", root=tmp_path)
    assert_failed(tmp_path, result, "input directory", "does not exist")


@pytest.mark.parametrize(
    ("schema_text", "fragment"),
    [
        ("name: x\nproblem_type: ranking\ntarget: {name: y}\nfeatures: [{name: a, type: numeric}]",
         "problem_type"),
        ("name: x\nproblem_type: binary_classification\ntarget: {name: y, classes: [a]}\n"
         "features: [{name: a, type: numeric}]", "at least two classes"),
        ("name: [unclosed", "cannot read schema"),
    ],
)  # fmt: skip
def test_invalid_schema(tmp_path, schema_text, fragment):
    csv_file = tmp_path / "data.csv"
    csv_file.write_text("a,y\n1,2\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(schema_text)
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], schema_file)
    result = run_program("preprocess", root=root)
    assert_failed(root, result, "invalid schema", fragment)


def test_no_schema_file(tmp_path):
    csv_file = tmp_path / "data.csv"
    csv_file.write_text("a,y\n1,2\n")
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], None)
    assert_failed(root, run_program("preprocess", root=root), "invalid schema", "found 0")


def test_single_class_in_training_split_fails(tmp_path):
    schema_file = bundled_schema_path("breast_cancer")
    header = ",".join([*load_bundled_schema("breast_cancer").feature_names, "diagnosis"])
    lines = [",".join([str(i)] * 30 + ["benign"]) for i in range(1, 200)]
    csv_file = tmp_path / "one_class.csv"
    csv_file.write_text(header + "\n" + "\n".join(lines) + "\n")
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], schema_file)
    result = run_program("preprocess", root=root)
    assert_failed(root, result, "the training split has a single class ('benign'", "diagnosis")


def test_header_only_input_fails_for_lack_of_rows(tmp_path):
    csv_file = tmp_path / "empty.csv"
    csv_file.write_text("a,y\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text("name: x\nproblem_type: regression\ntarget: {name: y}\n"
                           "features: [{name: a, type: numeric}]\n")  # fmt: skip
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], schema_file)
    assert_failed(root, run_program("preprocess", root=root), "no data rows")


def test_empty_file_fails_with_the_file_named(tmp_path):
    csv_file = tmp_path / "blank.csv"
    csv_file.write_text("")
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], bundled_schema_path("wine"))
    assert_failed(root, run_program("preprocess", root=root), "blank.csv is empty")


def test_too_few_rows_for_every_split_fails(tmp_path):
    csv_file = tmp_path / "three.csv"
    csv_file.write_text("a,y\n1,1\n2,2\n3,3\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text("name: x\nproblem_type: regression\ntarget: {name: y}\n"
                           "features: [{name: a, type: numeric}]\n")  # fmt: skip
    root = lay_out_processing_inputs(tmp_path / "root", [csv_file], schema_file)
    assert_failed(root, run_program("preprocess", root=root), "split(s) are empty")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seed", "x"], "'x' is not an integer"),
        (["--test-fraction", "1.5"], "outside (0, 1)"),
        (["--validation-fraction", "0"], "outside (0, 1)"),
        (["--rejection-threshold", "-0.1"], "outside [0, 1]"),
        (["--chunk-rows", "0"], "must be at least 1"),
        (["--validation-fraction", "0.5", "--test-fraction", "0.5"], "must be below 1"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, fragment):
    result = run_program("preprocess", *args, root=tmp_path)
    assert result.returncode == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr
