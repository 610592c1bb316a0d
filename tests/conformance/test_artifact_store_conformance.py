"""The ArtifactStore protocol, the same tests on the local store and on S3 (moto)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends.base import ArtifactStore


def _bucket(case: Any) -> str:
    return f"s3://{case.backend.outputs.data_bucket}"


def test_a_published_file_exists_and_reads_back(case: Any) -> None:
    store: ArtifactStore = case.backend.artifacts
    source = case.tmp / "rows.csv"
    source.write_bytes(b"a,b\n1,2\n")
    uri = f"{_bucket(case)}/conformance/rows.csv"
    assert not store.exists(uri)
    assert store.publish(source, uri) == uri
    assert store.exists(uri)
    assert store.read_bytes(uri) == b"a,b\n1,2\n"


def test_a_published_folder_downloads_with_its_layout(case: Any) -> None:
    store: ArtifactStore = case.backend.artifacts
    folder = case.tmp / "report"
    (folder / "plots").mkdir(parents=True)
    (folder / "report.json").write_text("{}")
    (folder / "plots" / "roc.png").write_bytes(b"\x89PNG")
    prefix = f"{_bucket(case)}/conformance/report"
    store.publish(folder, prefix)
    assert store.exists(prefix)  # a prefix counts as existing
    got = store.download(prefix, case.tmp / "copy")
    assert sorted(p.relative_to(case.tmp / "copy").as_posix() for p in got) == [
        "plots/roc.png",
        "report.json",
    ]
    assert (case.tmp / "copy" / "plots" / "roc.png").read_bytes() == b"\x89PNG"


def test_one_object_downloads_under_its_own_name(case: Any) -> None:
    store: ArtifactStore = case.backend.artifacts
    source = case.tmp / "schema.yaml"
    source.write_text("name: x\n")
    uri = f"{_bucket(case)}/conformance/schema/schema.yaml"
    store.publish(source, uri)
    got = store.download(uri, case.tmp / "into")
    assert got == [case.tmp / "into" / "schema.yaml"]
    assert got[0].read_text() == "name: x\n"


def test_a_missing_object_is_named(case: Any) -> None:
    store: ArtifactStore = case.backend.artifacts
    uri = f"{_bucket(case)}/conformance/absent.csv"
    assert not store.exists(uri)
    with pytest.raises(Exception, match=r"absent\.csv"):
        store.read_bytes(uri)
    with pytest.raises(Exception, match=r"absent\.csv"):
        store.download(uri, Path(case.tmp / "nowhere"))
