"""``preprocess`` as a real process on the three demo datasets, laid out as SageMaker does."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from ml_containers.schema import load_schema
from ml_containers.transform import FittedTransform
from ml_containers.validation import validate_chunk

DEMO_ROWS = {"breast_cancer": 569, "wine": 178, "diabetes": 442}


def read_matrix(path):
    return np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)


def read_headerless_text(path, names):
    options = pacsv.ReadOptions(column_names=names)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
    )
    return pacsv.read_csv(path, read_options=options, convert_options=convert)


@pytest.mark.parametrize("name", sorted(DEMO_ROWS))
def test_every_demo_row_is_accepted_and_splits_add_up(preprocessed_dataset, name):
    data = preprocessed_dataset(name)
    report = json.loads(data.report.read_text())
    rows = DEMO_ROWS[name]
    assert report["status"] == "succeeded"
    assert (report["rows_in"], report["rows_accepted"], report["rows_rejected"]) == (rows, rows, 0)
    assert report["schema"] == name and report["seed"] == 42
    splits = report["splits"]
    assert sum(splits.values()) == rows
    # Classification splits are stratified (within a row or two per class); regression's are
    # random per row.
    tolerance = 3 / rows if name != "diabetes" else 0.08
    for split, fraction in (("validation", 0.15), ("test", 0.15), ("train", 0.7)):
        assert abs(splits[split] / rows - fraction) <= 2 * tolerance, splits
    assert json.loads(data.stdout)["splits"] == splits
    assert data.quarantine.read_text().count("\n") == 1  # the header only


@pytest.mark.parametrize("name", sorted(DEMO_ROWS))
def test_split_files_are_label_first_numeric_without_header(preprocessed_dataset, name):
    data = preprocessed_dataset(name)
    report = json.loads(data.report.read_text())
    schema = load_schema(data.transform_dir / "schema.json")
    transform = FittedTransform.load(data.transform_dir)
    assert transform.fitted_rows == report["splits"]["train"]
    assert transform.input_names == schema.feature_names
    for split, path in (
        ("train", data.train),
        ("validation", data.validation),
        ("test", data.test),
    ):
        matrix = read_matrix(path)
        assert matrix.shape == (report["splits"][split], 1 + transform.n_outputs)
        labels = matrix[:, 0]
        if schema.problem_type.is_classification:
            assert set(np.unique(labels)) <= set(range(schema.num_classes))
            assert np.array_equal(labels, labels.round())
        else:
            assert labels.min() >= 25 and labels.max() <= 346  # diabetes progression range
    train = read_matrix(data.train)[:, 1:]
    numeric = [i for i, n in enumerate(transform.output_names) if "=" not in n]
    # Standardized on the training split: mean 0 and unit variance there.
    assert np.allclose(train[:, numeric].mean(axis=0), 0, atol=1e-5)
    assert np.allclose(train[:, numeric].std(axis=0), 1, atol=1e-4)


@pytest.mark.parametrize("name", sorted(DEMO_ROWS))
def test_batch_rows_transform_to_exactly_the_test_split(preprocessed_dataset, name):
    data = preprocessed_dataset(name)
    schema = load_schema(data.transform_dir / "schema.json")
    transform = FittedTransform.load(data.transform_dir)
    raw_names = [*schema.id_columns, *schema.feature_names]
    batch = read_headerless_text(data.batch, raw_names)
    labels_text = data.batch_labels.read_text().splitlines()
    test = read_matrix(data.test)
    assert batch.num_rows == len(labels_text) == test.shape[0]
    table = batch.append_column(schema.target.name, pa.array(labels_text))
    checked = validate_chunk(table, schema)
    assert checked.rejected == 0
    features = transform.apply_columns(checked.feature_columns(), checked.rows)
    assert np.array_equal(features, test[:, 1:].astype(np.float32))
    assert np.array_equal(checked.labels.astype(np.float64), test[:, 0])


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_classification_splits_are_stratified(preprocessed_dataset, name):
    counts = json.loads(preprocessed_dataset(name).report.read_text())["class_counts"]
    for cls in counts["train"]:
        total = sum(counts[split][cls] for split in counts)
        for split in ("validation", "test"):
            assert abs(counts[split][cls] - 0.15 * total) <= 2, (cls, counts)


def test_binary_class_counts_and_transform_outputs_are_reported(preprocessed_demo):
    report = json.loads(preprocessed_demo.report.read_text())
    counts = report["class_counts"]
    assert sum(counts["train"].values()) == report["splits"]["train"]
    assert sum(c["malignant"] for c in counts.values()) == 212
    assert report["transform"] == {
        "fitted_rows": report["splits"]["train"],
        "input_columns": 30,
        "output_features": 30,
    }


def test_categorical_feature_is_one_hot_encoded(preprocessed_dataset):
    data = preprocessed_dataset("diabetes")
    transform = FittedTransform.load(data.transform_dir)
    assert transform.output_names[1:3] == ["sex=1", "sex=2"]
    one_hot = read_matrix(data.train)[:, 2:4]
    assert np.array_equal(one_hot.sum(axis=1), np.ones(one_hot.shape[0]))
