"""The held-out rows and labels (Preprocess's ``batch`` output) in either layout, read through
the artifact store (``orchestrator/heldout.py``) by its three callers: ``endpoint-test``'s
``_held_out``, the run's smoke test (``test_rows``) and ``recommend``'s probe. One host:
``batch.csv`` + ``labels.csv``, read as before; several: every ``batch-part-H``/``labels-part-H``
pair in name order, an empty part included. A prefix holding both forms, neither, or a part
without its partner fails naming the prefix and what it holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orchestrator.backends.aws.artifacts import S3ArtifactStore
from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.errors import OperationFailed
from orchestrator.flows.endpoint_test import _held_out
from orchestrator.flows.smoke import test_rows as smoke_test_rows
from orchestrator.heldout import read_held_out, write_held_out_rows
from orchestrator.recommend.endpoint_probe import held_out_rows

PREFIX = "s3://artifacts/runs/exec-1/Preprocess/output/batch"
ONE_HOST = {"batch.csv": b"P-1,1,2\nP-2,3,4\n", "labels.csv": b"benign\nmalignant\n"}
# host 0 holds two rows, host 1 none (empty parts), host 2 one row
THREE_HOSTS = {
    "batch-part-00002.csv": b"P-9,9,9\n",
    "labels-part-00002.csv": b"malignant\n",
    "batch-part-00000.csv": b"P-1,1,2\nP-2,3,4\n",
    "labels-part-00000.csv": b"benign\nmalignant\n",
    "batch-part-00001.csv": b"",
    "labels-part-00001.csv": b"",
}


def store_with(root: Path, objects: dict[str, bytes]) -> SimpleNamespace:
    """A backend whose local artifact store holds ``objects`` under ``PREFIX``."""
    folder = ArtifactStore(root / "store").path(PREFIX)
    folder.mkdir(parents=True)
    for name, body in objects.items():
        (folder / name).write_bytes(body)
    return SimpleNamespace(artifacts=ArtifactStore(root / "store"), work_dir=root / "work")


def package() -> Any:
    return SimpleNamespace(group="g", version=3, metadata={"test_data": PREFIX})


def schema(id_columns: int = 1) -> Any:
    return SimpleNamespace(id_columns=[f"id{i}" for i in range(id_columns)])


def execution() -> Any:
    output = {"OutputName": "batch", "S3Output": {"S3Uri": PREFIX}}
    step = SimpleNamespace(properties={"ProcessingOutputConfig": {"Outputs": [output]}})
    return SimpleNamespace(id="exec-1", step=lambda name: step)


def test_one_hosts_files_are_read_as_before(tmp_path: Path) -> None:
    backend = store_with(tmp_path, ONE_HOST)
    assert read_held_out(backend, PREFIX) == (["P-1,1,2", "P-2,3,4"], ["benign", "malignant"])
    assert _held_out(backend, package(), schema(), 10) == (["1,2", "3,4"], ["benign", "malignant"])
    assert held_out_rows(backend, package(), schema(0)) == ["P-1,1,2", "P-2,3,4"]
    batch = smoke_test_rows(backend, execution())
    assert batch == tmp_path / "work" / "exec-1" / "batch.csv"
    assert batch.read_bytes() == ONE_HOST["batch.csv"]  # the stored bytes, untouched


def test_every_hosts_pair_is_read_in_name_order_an_empty_part_included(tmp_path: Path) -> None:
    backend = store_with(tmp_path, THREE_HOSTS)
    rows, labels = ["P-1,1,2", "P-2,3,4", "P-9,9,9"], ["benign", "malignant", "malignant"]
    assert read_held_out(backend, PREFIX + "/") == (rows, labels)
    assert _held_out(backend, package(), schema(), 10) == (["1,2", "3,4", "9,9"], labels)
    assert _held_out(backend, package(), schema(), 2) == (["1,2", "3,4"], labels[:2])
    assert held_out_rows(backend, package(), schema()) == ["1,2", "3,4", "9,9"]
    batch = smoke_test_rows(backend, execution())
    assert batch.read_bytes() == b"P-1,1,2\nP-2,3,4\nP-9,9,9\n"


def test_two_hosts_one_empty(tmp_path: Path) -> None:
    objects = {
        "batch-part-00000.csv": b"",
        "labels-part-00000.csv": b"",
        "batch-part-00001.csv": b"P-1,1,2\nP-2,3,4",  # no final newline: one is added
        "labels-part-00001.csv": b"benign\nmalignant\n",
    }
    backend = store_with(tmp_path, objects)
    assert read_held_out(backend, PREFIX) == (["P-1,1,2", "P-2,3,4"], ["benign", "malignant"])
    assert write_held_out_rows(backend, PREFIX, tmp_path / "b.csv").read_bytes() == (
        b"P-1,1,2\nP-2,3,4\n"
    )


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        ({**ONE_HOST, **THREE_HOSTS}, f"{PREFIX} holds both batch.csv and 3 batch-part-*.csv"),
        ({"report.json": b"{}"}, f"{PREFIX} holds no batch.csv and no batch-part-*.csv "
         "(found: report.json)"),
        ({k: v for k, v in THREE_HOSTS.items() if k != "labels-part-00001.csv"},
         f"{PREFIX}: batch-part-00001.csv has no partner"),
        ({"batch.csv": b"1\n", "labels-part-00000.csv": b"x\n"}, "different layouts"),
        ({**THREE_HOSTS, "labels-part-00002.csv": b"benign\nbenign\n"},
         f"{PREFIX}: batch-part-00002.csv has 1 rows and labels-part-00002.csv 2"),
        ({**ONE_HOST, "labels.csv": b"benign\n"},
         f"{PREFIX}: batch.csv has 2 rows and labels.csv 1; the held-out set is damaged"),
    ],
    ids=["both-forms", "neither", "part-without-labels", "mixed", "part-rows", "one-host-rows"],
)  # fmt: skip
def test_a_damaged_held_out_set_fails_naming_the_prefix_for_every_caller(
    tmp_path: Path, objects: dict[str, bytes], expected: str
) -> None:
    backend = store_with(tmp_path, objects)
    calls = [
        lambda: _held_out(backend, package(), schema(), 10),
        lambda: held_out_rows(backend, package(), schema()),
        lambda: smoke_test_rows(backend, execution()),
    ]
    if " rows and " in expected:  # the smoke test sends rows only; it counts no labels
        calls.pop()
    for call in calls:
        with pytest.raises(OperationFailed) as raised:
            call()
        assert expected in str(raised.value)
        assert "damaged" in str(raised.value)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="artifacts")
        yield client


def test_on_s3_the_prefix_is_listed_so_every_part_is_found(s3: Any, tmp_path: Path) -> None:
    key = PREFIX.removeprefix("s3://artifacts/")
    for name, body in THREE_HOSTS.items():
        s3.put_object(Bucket="artifacts", Key=f"{key}/{name}", Body=body)
    # a sibling prefix that merely starts the same is not part of the set
    s3.put_object(Bucket="artifacts", Key=f"{key}-old/batch.csv", Body=b"X\n")
    backend = SimpleNamespace(artifacts=S3ArtifactStore(s3), work_dir=tmp_path)
    assert read_held_out(backend, PREFIX) == (
        ["P-1,1,2", "P-2,3,4", "P-9,9,9"],
        ["benign", "malignant", "malignant"],
    )
    s3.delete_object(Bucket="artifacts", Key=f"{key}/labels-part-00000.csv")
    with pytest.raises(OperationFailed, match=r"batch-part-00000\.csv has no partner"):
        read_held_out(backend, PREFIX)
