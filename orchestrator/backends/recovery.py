"""What disaster recovery (``orchestrator backup|restore|data restore``, docs/dr.md) needs of a
backend beyond the protocols of ``base.py``: the stored pipeline definition, an approval
status history, and object versions for a point-in-time restore.

Both backends implement all three; ``tests/conformance/test_recovery_conformance.py`` holds them
to the same semantics. They are separate protocols (not methods of ``base.py``'s) so the flows
ask for them by name (:func:`require`) and a backend that lacks one is refused with its name.

Object versions follow S3's model (ListObjectVersions): every write of a key is a version, a
delete adds a *delete marker*, and exactly one entry per key is the latest. The local artifact
store keeps versions of what is published through it (``backends/local/object_versions.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from orchestrator.errors import OperationFailed


@dataclass(frozen=True)
class ObjectVersion:
    """One version (or delete marker) of one object: ``uri`` is ``s3://bucket/key``."""

    uri: str
    version_id: str
    modified: datetime  # when it became the object's content (timezone-aware)
    latest: bool
    deleted: bool = False  # a delete marker
    size: int = 0
    etag: str = ""  # a content tag: S3's ETag, the local store's SHA-256 ("" for a marker)


@dataclass(frozen=True)
class StatusChange:
    """One approval status change of a model version (the registration is the first)."""

    to_status: str
    reason: str
    changed_at: datetime | None
    from_status: str | None = None


@runtime_checkable
class StoredDefinitions(Protocol):
    """A pipeline runner that can give back the definition it stores."""

    def stored_definition(self, pipeline_name: str) -> str | None:
        """The pipeline's stored definition JSON (DescribePipeline's), None: no such pipeline."""
        ...


@runtime_checkable
class StatusHistory(Protocol):
    """A registry that tells how a version's approval status came to be."""

    def approval_history(self, group: str, version: int) -> list[StatusChange]:
        """Every change the registry keeps, oldest first. SageMaker keeps only the current
        status, its ApprovalDescription and LastModifiedTime: one entry there."""
        ...

    @property
    def keeps_full_approval_history(self) -> bool:
        """Whether :meth:`approval_history` is every change (local) or the current one (AWS)."""
        ...


@runtime_checkable
class VersionedStore(Protocol):
    """An artifact store that keeps the versions of its objects."""

    def check_versioned(self, prefix: str) -> None:
        """Refuse (UserError) a prefix whose store keeps no versions (an S3 bucket without
        versioning Enabled): its past cannot be restored and deleting there is final."""
        ...

    def versions(self, prefix: str) -> list[ObjectVersion]:
        """Every version and delete marker of every object whose URI starts with ``prefix``."""
        ...

    def restore_version(self, version: ObjectVersion) -> None:
        """Make ``version``'s content the object's latest (a new version; history is kept)."""
        ...

    def delete(self, uris: list[str]) -> None:
        """Delete the objects: a delete marker each, their versions are kept."""
        ...


def require(seam: object, protocol: Any, what: str) -> Any:
    """``seam`` as ``protocol``, or OperationFailed naming what the backend cannot do."""
    if not isinstance(seam, protocol):
        raise OperationFailed(
            f"this backend's {type(seam).__name__} cannot {what} ({protocol.__name__} is not "
            "implemented); docs/dr.md lists what each backend supports"
        )
    return seam
