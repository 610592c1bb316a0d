"""The ArtifactStore protocol, the same tests on the local store and on S3 (moto).

A missing object is a user's mistake on both backends (a wrong URI, an input not uploaded):
the error names the URI and the CLI exits 2 with it.
"""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
from conformance_kit import USER_ERRORS, Kit

from orchestrator.backends.base import ArtifactStore, Backend

REPORT = {"report.json": b"{}", "plots/roc.png": b"\x89PNG\r\n", "plots/deep/pr.csv": b"p,r\n"}


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    return root


def _tree(root: Path, paths: list[Path]) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}


def test_a_published_file_exists_and_reads_back(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    source = _folder(kit.tmp / "in", {"rows.csv": b"a,b\n1,2\n"}) / "rows.csv"
    uri = kit.uri("rows.csv")
    assert not store.exists(uri)
    assert store.publish(source, uri) == uri
    assert store.exists(uri)
    assert store.read_bytes(uri) == b"a,b\n1,2\n"


def test_a_published_folder_downloads_with_its_files_and_bytes(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    prefix = kit.uri("report")
    assert store.publish(_folder(kit.tmp / "report", REPORT), prefix) == prefix
    copy = kit.tmp / "copy"
    assert _tree(copy, store.download(prefix, copy)) == REPORT
    assert _tree(copy, [p for p in copy.rglob("*") if p.is_file()]) == REPORT  # nothing else


@pytest.mark.parametrize("spelling", ["report", "report/", "report/plots", "report/plots/"])
def test_a_prefix_counts_as_existing(backend: Backend, kit: Kit, spelling: str) -> None:
    store: ArtifactStore = backend.artifacts
    store.publish(_folder(kit.tmp / "report", REPORT), kit.uri("report"))
    assert store.exists(kit.uri(spelling))
    assert not store.exists(kit.uri("repo"))  # a prefix is a whole path segment
    assert not store.exists(kit.uri("report/plot"))


def test_one_object_downloads_under_its_own_name(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    source = _folder(kit.tmp / "in", {"schema.yaml": b"name: x\n"}) / "schema.yaml"
    uri = kit.uri("schema/v1/schema.yaml")
    store.publish(source, uri)
    got = store.download(uri, kit.tmp / "into")
    assert got == [kit.tmp / "into" / "schema.yaml"]
    assert got[0].read_bytes() == b"name: x\n"


@pytest.mark.parametrize("key", ["absent.csv", "absent/"])
def test_a_missing_object_is_refused_naming_its_uri(backend: Backend, kit: Kit, key: str) -> None:
    store: ArtifactStore = backend.artifacts
    uri = kit.uri(key)
    assert not store.exists(uri)
    with pytest.raises(USER_ERRORS, match=re.escape(uri)):
        store.read_bytes(uri)
    with pytest.raises(USER_ERRORS, match=re.escape(uri)):
        store.download(uri, kit.tmp / "nowhere")


@pytest.mark.parametrize("backend", ["aws-moto"], indirect=True)
def test_an_s3_folder_marker_is_no_file(backend: Backend, kit: Kit) -> None:
    """The S3 console's "Create folder" stores an empty object named ``<prefix>/``; S3 has no
    folders otherwise. Downloading the prefix copies the files, and the marker is not one."""
    store: ArtifactStore = backend.artifacts
    store.publish(_folder(kit.tmp / "report", REPORT), kit.uri("report"))
    s3 = boto3.client("s3", region_name=backend.outputs.region)
    for marker in ("report/", "report/empty/"):
        s3.put_object(Bucket=backend.outputs.data_bucket, Key=f"conformance/{marker}", Body=b"")
    copy = kit.tmp / "copy"
    assert _tree(copy, store.download(kit.uri("report"), copy)) == REPORT
    assert store.exists(kit.uri("report/empty/"))
