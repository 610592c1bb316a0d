"""The recovery protocols (``backends/recovery.py``) on both backends: the stored pipeline
definition, the approval history, and object versions for a point-in-time restore (on AWS the
moto bucket with versioning enabled, as the stack's storage module enables it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance_kit import USER_ERRORS, Kit

from orchestrator.backends.base import Backend
from orchestrator.backends.recovery import StatusHistory, StoredDefinitions, VersionedStore


def test_both_backends_implement_the_recovery_protocols(backend: Backend) -> None:
    assert isinstance(backend.pipelines, StoredDefinitions)
    assert isinstance(backend.registry, StatusHistory)
    assert isinstance(backend.artifacts, VersionedStore)


def test_stored_definition_of_an_unknown_pipeline_is_none(backend: Backend) -> None:
    assert backend.pipelines.stored_definition("no-such-pipeline") is None  # type: ignore[attr-defined]


def test_approval_history_ends_with_the_current_status_and_reason(kit: Kit) -> None:
    package = kit.register("history", approved=False)
    registry = kit.backend.registry
    registry.set_status(package.group, package.version, "Rejected", "drifted")
    changes = registry.approval_history(package.group, package.version)  # type: ignore[attr-defined]
    assert (changes[-1].to_status, changes[-1].reason) == ("Rejected", "drifted")
    full = registry.keeps_full_approval_history  # type: ignore[attr-defined]
    assert [c.to_status for c in changes] == (
        ["PendingManualApproval", "Rejected"] if full else ["Rejected"]
    )


def test_object_versions_restore_and_delete_keep_every_version(kit: Kit, tmp_path: Path) -> None:
    store = kit.backend.artifacts
    if kit.on_aws:  # the stack's buckets are versioned (terraform/modules/storage)
        store.s3.put_bucket_versioning(  # type: ignore[attr-defined]
            Bucket=kit.backend.outputs.data_bucket,
            VersioningConfiguration={"Status": "Enabled"},
        )
    uri = kit.uri("versions/a.csv")
    for n in (1, 2):
        (tmp_path / f"v{n}").write_bytes(b"version %d" % n)
        store.publish(tmp_path / f"v{n}", uri)
    store.check_versioned(kit.uri("versions/"))  # type: ignore[attr-defined]
    listed = store.versions(kit.uri("versions/"))  # type: ignore[attr-defined]
    assert len(listed) == 2 and [v.latest for v in listed].count(True) == 1
    oldest = min(listed, key=lambda v: (v.modified, v.latest))
    store.restore_version(oldest)  # type: ignore[attr-defined]
    assert store.read_bytes(uri) == b"version 1"
    store.delete([uri])  # type: ignore[attr-defined]
    assert not store.exists(uri)
    after = store.versions(kit.uri("versions/"))  # type: ignore[attr-defined]
    assert len([v for v in after if not v.deleted]) == 3 and any(v.deleted for v in after)


def test_check_versioned_refuses_only_a_store_that_keeps_no_versions(kit: Kit) -> None:
    store = kit.backend.artifacts
    if kit.on_aws:  # a bucket without versioning Enabled: its past is gone
        with pytest.raises(USER_ERRORS, match="versioning never enabled"):
            store.check_versioned(kit.uri("x/"))  # type: ignore[attr-defined]
    else:  # the local store journals every version it publishes
        store.check_versioned(kit.uri("x/"))  # type: ignore[attr-defined]
