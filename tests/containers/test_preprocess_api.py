"""The importable pieces of preprocessing: header and CSV checks for the orchestrator, the split,
duplicate detection, CSV quoting and fixed-block fitting."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from ml_containers import transform
from ml_containers.csvio import csv_lines
from ml_containers.data import load_bundled_schema, write_demo
from ml_containers.preprocess import (
    PreprocessError,
    assign_splits,
    check_csv,
    check_header,
)
from ml_containers.preprocess.dedupe import SeenHashes, mark_duplicates, row_hashes
from ml_containers.preprocess.fitfeed import FitFeeder
from ml_containers.preprocess.split import StratifiedSplitter
from ml_containers.schema import parse_schema
from ml_containers.transform import TransformFitter
from ml_containers.validation import validate_columns
from test_preprocess_support import run_program


def test_check_header_names_missing_columns_and_what_was_found():
    schema = load_bundled_schema("wine")
    header = [n for n in schema.required_columns() if n != "proline"]
    with pytest.raises(PreprocessError) as error:
        check_header(header, schema, source="wine.csv")
    message = str(error.value)
    assert "wine.csv is missing required column(s) 'proline'" in message
    assert "found columns: 'alcohol', 'malic_acid'" in message
    check_header([*schema.required_columns(), "extra"], schema)  # extra columns are fine
    with pytest.raises(PreprocessError, match="'alcohol' more than once"):
        check_header([*schema.required_columns(), "alcohol"], schema)


def test_check_csv_counts_problems_without_running_the_job(tmp_path):
    good = tmp_path / "good.csv"
    write_demo("diabetes", good)
    schema = load_bundled_schema("diabetes")
    result = check_csv(good, schema)
    assert (result.rows_checked, result.rows_rejected) == (442, 0)
    bad = tmp_path / "bad.csv"
    lines = good.read_text().splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[0], "old", 1)  # age 'old'
    lines[2] = lines[2].rsplit(",", 1)[0] + ","  # no target
    bad.write_text("\n".join(lines) + "\n")
    result = check_csv(bad, schema, max_rows=100)
    assert result.rows_checked == 100 and result.rows_rejected == 2
    assert result.reasons == {"age: not a number": 1, "disease_progression: missing target": 1}
    assert result.examples[0] == "age: value 'old' is not a number"


def test_check_csv_of_a_file_without_the_target_raises(tmp_path):
    path = tmp_path / "features_only.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(PreprocessError, match="missing required column"):
        check_csv(path, load_bundled_schema("diabetes"))


def test_splits_are_seeded_proportional_and_per_row():
    rows = np.arange(200_000)
    codes = assign_splits(rows, seed=1, validation_fraction=0.2, test_fraction=0.1)
    shares = np.bincount(codes, minlength=3) / rows.size
    assert np.allclose(shares, [0.7, 0.2, 0.1], atol=0.005)
    assert np.array_equal(codes, assign_splits(rows, 1, 0.2, 0.1))
    # A row's split depends on its index alone, not on which other rows are in the call.
    assert np.array_equal(codes[1000:1010], assign_splits(rows[1000:1010], 1, 0.2, 0.1))
    assert not np.array_equal(codes, assign_splits(rows, 2, 0.2, 0.1))


def test_duplicates_are_found_within_and_across_batches_keeping_the_first():
    seen = SeenHashes()
    first = row_hashes([pa.array(["a", "b", "a", None]), pa.array(["1", "2", "1", ""])])
    assert mark_duplicates(first, seen).tolist() == [False, False, True, False]
    later = row_hashes([pa.array(["b", "c", ""]), pa.array(["2", "3", ""])])
    # ("b","2") was seen; (None, "") differs from ("", "") because null is not empty text.
    assert mark_duplicates(later, seen).tolist() == [True, False, False]
    assert len(seen) == 5 and seen.nbytes == 40


def test_seen_hashes_stay_correct_across_many_merges():
    rng = np.random.default_rng(0)
    seen = SeenHashes()
    inserted: list[np.ndarray] = []
    for _ in range(50):
        batch = rng.integers(0, 2**63, 1000, dtype=np.uint64)
        seen.add(batch[~seen.contains(batch)])
        inserted.append(batch)
    everything = np.concatenate(inserted)
    assert seen.contains(everything).all()
    assert not seen.contains(rng.integers(0, 2**63, 1000, dtype=np.uint64)).any()
    assert len(seen) == np.unique(everything).size


def test_csv_fields_are_quoted_only_when_needed():
    lines = csv_lines(
        [pa.array(["plain", 'say "hi"', "a,b", None]), pa.array(["1", "2", "3", "4"])]
    )
    assert lines.to_pylist() == ["plain,1", '"say ""hi""",2', '"a,b",3', ",4"]


def test_fitted_transform_does_not_depend_on_how_rows_arrive(monkeypatch):
    monkeypatch.setattr(transform, "RESERVOIR_SIZE", 50)  # exercise reservoir replacement
    schema = load_bundled_schema("synthetic_binary")
    rng = np.random.default_rng(3)
    rows = 1000
    columns = {
        c.name: (
            rng.choice([*c.categories, None], rows).tolist()
            if c.categories
            else np.where(rng.random(rows) < 0.1, np.nan, rng.normal(size=rows))
        )
        for c in schema.features
    }
    fitted = []
    for batch_sizes in ([1000], [7] * 142 + [6], [333, 1, 666]):
        feeder = FitFeeder(TransformFitter(schema, seed=5), block_rows=128)
        start = 0
        for size in batch_sizes:
            batch = {
                name: values[start : start + size]
                if isinstance(values, np.ndarray)
                else pa.array(values[start : start + size], type=pa.string())
                for name, values in columns.items()
            }
            feeder.add(batch, size)
            start += size
        fitted.append(feeder.finish().to_dict())
    assert fitted[0] == fitted[1] == fitted[2]
    assert fitted[0]["fitted_rows"] == rows


def test_validation_of_in_memory_rows_names_column_and_value():
    schema = parse_schema(
        {
            "name": "t",
            "problem_type": "multiclass_classification",
            "target": {"name": "y", "classes": [1, 2, 3]},
            "features": [{"name": "k", "type": "integer", "min": 1, "nullable": False}],
        }
    )
    checked = validate_columns(
        {"k": ["1", "0", "2.5", "", " 4 "], "y": ["1", "2", "4", "3", "3"]}, schema
    )
    assert checked.accepted.tolist() == [True, False, False, False, True]
    assert checked.problems.to_pylist() == [
        None,
        "k: value '0' is below the minimum 1",
        "k: value '2.5' is not an integer; y: target '4' is not one of the classes [1, 2, 3]",
        "k: missing value (column is not nullable)",
        None,
    ]
    assert checked.labels[checked.accepted].tolist() == [0, 2]


def test_preprocess_help_lists_the_contract_arguments():
    result = run_program("preprocess", "--help")
    assert result.returncode == 0
    for flag in ("--rejection-threshold", "--validation-fraction", "--test-fraction", "--seed",
                 "--chunk-rows"):  # fmt: skip
        assert flag in result.stdout


def test_stratified_split_keeps_every_class_in_proportion_across_batches():
    rng = np.random.default_rng(4)
    labels = rng.choice(3, size=3000, p=[0.6, 0.3, 0.1])
    whole = StratifiedSplitter(3, 42, 0.15, 0.15).assign(labels)
    splitter = StratifiedSplitter(3, 42, 0.15, 0.15)
    pieces = np.concatenate([splitter.assign(part) for part in np.array_split(labels, 17)])
    assert np.array_equal(whole, pieces)
    for cls in range(3):
        in_class = whole[labels == cls]
        shares = np.bincount(in_class, minlength=3) / in_class.size
        assert np.allclose(shares, [0.7, 0.15, 0.15], atol=2 / in_class.size + 1e-9), (cls, shares)
    assert not np.array_equal(whole, StratifiedSplitter(3, 43, 0.15, 0.15).assign(labels))
