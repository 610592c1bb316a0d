"""``orchestrator.data.checks``' pre-flight checks: data whose target leaves nothing to learn is
refused before staging, while ordinary data (also with a missing target here and there) passes;
an environment file's own dataset and schema are staged. Real demo tables, shipped schemas."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from ml_containers.data.bundled import load_bundled_schema, write_schema
from ml_containers.data.demo import write_demo

from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.data.checks import DataError, check_data, target_value_counts
from orchestrator.data.staging import stage_dataset
from orchestrator.settings.environment import load_environment

Demo = Callable[[str], Path]


def rewritten(source: Path, target: Path, keep: Callable[[list[str]], bool]) -> Path:
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    with target.open("w", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *[row for row in rows[1:] if keep(row)]])
    return target


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("demo")

    def path(name: str) -> Path:
        out = folder / f"{name}.csv"
        if not out.exists():
            write_demo(name, out)
        return out

    return path


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes"])
def test_the_demo_tables_pass(demo: Demo, name: str) -> None:
    check = check_data(demo(name), load_bundled_schema(name), rejection_threshold=0.05)
    assert check.rows_rejected == 0 and check.rows_checked > 100


def test_a_single_class_target_is_refused(demo: Demo, tmp_path: Path) -> None:
    data = rewritten(demo("wine"), tmp_path / "one.csv", lambda row: row[-1] == "class_2")
    with pytest.raises(DataError, match=r"holds only the class 'class_2'.*at least two classes"):
        check_data(data, load_bundled_schema("wine"), rejection_threshold=0.05)


def test_two_of_three_classes_are_enough(demo: Demo, tmp_path: Path) -> None:
    data = rewritten(demo("wine"), tmp_path / "two.csv", lambda row: row[-1] != "class_2")
    check_data(data, load_bundled_schema("wine"), rejection_threshold=0.05)


def test_a_constant_regression_target_is_refused(demo: Demo, tmp_path: Path) -> None:
    source = demo("diabetes")
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    data = tmp_path / "flat.csv"
    with data.open("w", newline="") as handle:
        csv.writer(handle).writerows([rows[0], *[[*row[:-1], "151"] for row in rows[1:]]])
    with pytest.raises(DataError, match="one value in every row"):
        check_data(data, load_bundled_schema("diabetes"), rejection_threshold=0.05)


def test_target_counts_leave_out_missing_values(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,diagnosis\n1, benign\n2,NA\n3,malignant\n4,\n5,benign\n")
    counts = target_value_counts(data, load_bundled_schema("breast_cancer"))
    assert counts == {"benign": 2, "malignant": 1}


def test_an_environment_file_names_its_dataset_and_schema(demo: Demo, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wine.csv").write_bytes(demo("wine").read_bytes())
    write_schema("wine", tmp_path / "data" / "wine.yaml")
    environments = tmp_path / "environments"
    environments.mkdir()
    (environments / "local.yaml").write_text(  # paths relative to the environment file
        "backend: local\ndataset:\n  data: ../data/wine.csv\n  schema: ../data/wine.yaml\n"
        f"local:\n  state_dir: {tmp_path / 'state'}\n"
    )
    config = load_environment("local", environments)
    workspace = LocalWorkspace(config)
    staged = stage_dataset(config, workspace.store, workspace.outputs.data_bucket)
    assert staged.name == "wine" and staged.source == str(tmp_path / "data" / "wine.csv")
    assert staged.check.rows_checked == 178
    assert workspace.store.exists(staged.data_uri + "wine.csv")
    again = stage_dataset(config, workspace.store, workspace.outputs.data_bucket)
    assert again.data_uri == staged.data_uri  # content-addressed: same bytes, same prefix


def _folder_environment(tmp_path: Path, data: str) -> LocalWorkspace:
    environments = tmp_path / "environments"
    environments.mkdir(exist_ok=True)
    (environments / "local.yaml").write_text(
        f"backend: local\ndataset:\n  data: {data}\n  schema: ../data/wine.yaml\n"
        f"local:\n  state_dir: {tmp_path / 'state'}\n"
    )
    return LocalWorkspace(load_environment("local", environments))


def test_a_folder_of_csv_files_is_checked_together_and_staged_file_by_file(
    tmp_path: Path, demo: Demo
) -> None:
    """Several files let several preprocessing hosts share the data (issue #18). Each file holds
    a single class here: fine, since the target check counts the files together."""
    folder = tmp_path / "data" / "wine"
    (folder / "nested").mkdir(parents=True)
    write_schema("wine", tmp_path / "data" / "wine.yaml")
    for index, cls in enumerate(["class_0", "class_1", "class_2"]):
        target = folder / ("nested" if index == 2 else "") / f"{cls}.csv"
        rewritten(demo("wine"), target, lambda row, cls=cls: row[-1] == cls)
    (folder / "notes.txt").write_text("not data")
    workspace = _folder_environment(tmp_path, "../data/wine")
    config = workspace.config
    staged = stage_dataset(config, workspace.store, workspace.outputs.data_bucket)
    assert staged.check.rows_checked == 178
    for name in ("class_0.csv", "class_1.csv", "nested/class_2.csv"):
        assert workspace.store.exists(staged.data_uri + name), name
    assert not workspace.store.exists(staged.data_uri + "notes.txt")
    (folder / "class_1.csv").rename(folder / "class_9.csv")  # the names are part of the data
    renamed = stage_dataset(config, workspace.store, workspace.outputs.data_bucket)
    assert renamed.data_uri != staged.data_uri


def test_a_folder_without_csv_files_or_a_missing_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data" / "empty").mkdir(parents=True)
    write_schema("wine", tmp_path / "data" / "wine.yaml")
    workspace = _folder_environment(tmp_path, "../data/empty")
    with pytest.raises(DataError, match=r"holds no \*\.csv file"):
        stage_dataset(workspace.config, workspace.store, workspace.outputs.data_bucket)
    workspace = _folder_environment(tmp_path, "../data/absent")
    with pytest.raises(DataError, match="does not exist; pass the path of a CSV file or of a fold"):
        stage_dataset(workspace.config, workspace.store, workspace.outputs.data_bucket)


def test_a_folder_whose_files_together_hold_one_class_is_refused(tmp_path: Path, demo: Demo):
    folder = tmp_path / "data" / "wine"
    folder.mkdir(parents=True)
    write_schema("wine", tmp_path / "data" / "wine.yaml")
    for part in range(2):
        rewritten(demo("wine"), folder / f"p{part}.csv", lambda row: row[-1] == "class_0")
    workspace = _folder_environment(tmp_path, "../data/wine")
    with pytest.raises(DataError, match="holds only the class 'class_0'"):
        stage_dataset(workspace.config, workspace.store, workspace.outputs.data_bucket)
