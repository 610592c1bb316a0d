"""ArtifactStore.fingerprint, the same tests on the local store and on S3 (moto): the data
version that keys Preprocess's cache (issue #16) changes exactly when the objects a job would
read under a prefix change, and a prefix with nothing in it has none."""

from __future__ import annotations

import boto3
import pytest
from conformance_kit import Kit

from orchestrator.backends.base import ArtifactStore, Backend

ROWS = {"part-1.csv": b"a,b\n1,2\n", "nested/part-2.csv": b"a,b\n3,4\n"}


def _publish(store: ArtifactStore, kit: Kit, files: dict[str, bytes], uri: str) -> None:
    folder = kit.tmp / "upload"
    for relative, content in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    store.publish(folder, uri)


def test_the_same_objects_have_the_same_fingerprint(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    _publish(store, kit, ROWS, kit.uri("data"))
    first = store.fingerprint(kit.uri("data/"))
    assert first is not None
    assert store.fingerprint(kit.uri("data/")) == first  # read twice, nothing changed


def test_a_rewritten_object_of_the_same_size_changes_the_fingerprint(
    backend: Backend, kit: Kit
) -> None:
    store: ArtifactStore = backend.artifacts
    _publish(store, kit, ROWS, kit.uri("data"))
    before = store.fingerprint(kit.uri("data/"))
    source = kit.tmp / "new.csv"
    source.write_bytes(b"a,b\n9,9\n")  # same length as the old part-1.csv
    store.publish(source, kit.uri("data/part-1.csv"))
    after = store.fingerprint(kit.uri("data/"))
    assert after is not None and after != before


def test_an_added_object_changes_the_fingerprint(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    _publish(store, kit, ROWS, kit.uri("data"))
    before = store.fingerprint(kit.uri("data/"))
    extra = kit.tmp / "part-3.csv"
    extra.write_bytes(b"a,b\n5,6\n")
    store.publish(extra, kit.uri("data/part-3.csv"))
    assert store.fingerprint(kit.uri("data/")) not in (None, before)


def test_one_object_has_a_fingerprint_of_its_own(backend: Backend, kit: Kit) -> None:
    store: ArtifactStore = backend.artifacts
    _publish(store, kit, ROWS, kit.uri("data"))
    single = store.fingerprint(kit.uri("data/part-1.csv"))
    assert single is not None and single != store.fingerprint(kit.uri("data/"))


@pytest.mark.parametrize("key", ["absent/", "absent.csv"])
def test_nothing_stored_has_no_fingerprint(backend: Backend, kit: Kit, key: str) -> None:
    assert backend.artifacts.fingerprint(kit.uri(key)) is None


@pytest.mark.parametrize("backend", ["aws-moto"], indirect=True)
def test_an_s3_folder_marker_alone_is_no_data(backend: Backend, kit: Kit) -> None:
    """The S3 console's "Create folder" leaves an empty ``<prefix>/`` object: SageMaker would
    read no file, so there is nothing to version."""
    s3 = boto3.client("s3", region_name=backend.outputs.region)
    s3.put_object(Bucket=backend.outputs.data_bucket, Key="conformance/empty/", Body=b"")
    assert backend.artifacts.fingerprint(kit.uri("empty/")) is None
