"""Which files hold a split of preprocess's output (``ml_containers.split_layout``): the one-host
file or every host's part in name order; both forms, neither, or a batch part without its labels
part are refused with the folder and what it holds named."""

from __future__ import annotations

from pathlib import Path

import pytest
from ml_containers.split_layout import (
    SplitLayoutError,
    check_one_form,
    paired_names,
    split_files,
    split_names,
)


def test_the_one_host_file_is_the_split() -> None:
    names = ["test.csv", "notes.txt"]
    assert split_names(names, "test", "where") == ["test.csv"]
    assert split_names(["train-part-00001.csv", "train-part-00000.csv"], "train", "w") == [
        "train-part-00000.csv",
        "train-part-00001.csv",
    ]


def test_every_hosts_part_in_name_order() -> None:
    names = ["test-part-00001.csv", "test-part-00000.csv", "test-part-00002.csv"]
    assert split_names(names, "test", "w") == sorted(names)
    train = [
        "train-part-00001-00000.csv",
        "train-part-00000-00001.csv",
        "train-part-00000-00000.csv",
    ]
    assert split_names(train, "train", "w") == sorted(train)
    # one split's parts are not another's: validation-part-* is not a test part
    assert split_names(["validation-part-00000.csv", "test.csv"], "test", "w") == ["test.csv"]


def test_both_forms_are_refused_naming_the_folder_and_the_parts() -> None:
    with pytest.raises(SplitLayoutError) as raised:
        split_names(["test.csv", "test-part-00000.csv", "test-part-00001.csv"], "test", "s3://b/t")
    message = str(raised.value)
    assert "s3://b/t holds both test.csv and 2 test-part-*.csv" in message
    assert "test-part-00000.csv, test-part-00001.csv" in message
    with pytest.raises(SplitLayoutError, match=r"holds both validation\.csv"):
        check_one_form(["validation.csv", "validation-part-00000.csv"], "validation", "channel")
    check_one_form([], "train", "a host's empty shard")  # passes
    check_one_form(["train-part-00001-00000.csv"], "train", "one part of several")


def test_neither_form_is_refused_naming_what_was_found() -> None:
    with pytest.raises(SplitLayoutError) as raised:
        split_names(["rows.csv", "test.csv.gz"], "test", "/in/test")
    assert str(raised.value).startswith(
        "/in/test holds no test.csv and no test-part-*.csv (found: rows.csv, test.csv.gz)"
    )
    with pytest.raises(SplitLayoutError, match=r"\(found: nothing\)"):
        split_names([], "test", "/in/test")


def test_split_files_reads_a_folder(tmp_path: Path) -> None:
    for name in ("test-part-00001.csv", "test-part-00000.csv"):
        (tmp_path / name).write_text("")
    (tmp_path / "nested").mkdir()
    assert split_files(tmp_path, "test") == [
        tmp_path / "test-part-00000.csv",
        tmp_path / "test-part-00001.csv",
    ]
    with pytest.raises(SplitLayoutError, match=r"holds no test\.csv"):
        split_files(tmp_path / "absent", "test")


def test_batch_parts_pair_with_their_hosts_labels_parts() -> None:
    assert paired_names(["labels.csv", "batch.csv"], "p") == [("batch.csv", "labels.csv")]
    names = [
        "labels-part-00001.csv",
        "batch-part-00001.csv",
        "batch-part-00000.csv",
        "labels-part-00000.csv",
    ]
    assert paired_names(names, "p") == [
        ("batch-part-00000.csv", "labels-part-00000.csv"),
        ("batch-part-00001.csv", "labels-part-00001.csv"),
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["batch-part-00000.csv", "batch-part-00001.csv", "labels-part-00000.csv"],
         "p: batch-part-00001.csv has no partner"),
        (["batch-part-00000.csv", "labels-part-00000.csv", "labels-part-00001.csv"],
         "p: labels-part-00001.csv has no partner"),
        (["batch.csv", "labels-part-00000.csv"], "different layouts"),
        (["batch.csv"], "p holds no labels.csv and no labels-part-*.csv (found: batch.csv)"),
        (["batch.csv", "batch-part-00000.csv", "labels.csv"], "p holds both batch.csv"),
        ([], "p holds no batch.csv and no batch-part-*.csv (found: nothing)"),
    ],
)  # fmt: skip
def test_a_held_out_set_that_does_not_pair_up_is_refused(names: list[str], expected: str) -> None:
    with pytest.raises(SplitLayoutError) as raised:
        paired_names(names, "p")
    assert expected in str(raised.value)
