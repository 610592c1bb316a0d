"""``orchestrator data restore``: put every object under a prefix back as it was at a time, from
the store's object versions (S3 versioning; the local store's journal).

For each object: the version current at ``--to-time`` is the newest version or delete marker
modified at or before it. If that is a version other than the latest, its bytes are copied back
as a new latest version; if the object did not exist then (no entry yet, or a delete marker)
but exists now, it gets a delete marker. Nothing is erased: every version stays, so a restore
can itself be undone by restoring to a time before it. S3 keeps LastModified to the second, so
a change in the same second as ``--to-time`` counts as before it. An object whose latest
version has the bytes it had then (same ETag) is left alone; under SSE-KMS S3 gives a copy a
new ETag, so restoring the same prefix twice adds one identical version per object.
``dry_run`` lists the changes and makes none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from orchestrator.backends.base import ArtifactStore
from orchestrator.backends.recovery import ObjectVersion, VersionedStore, require
from orchestrator.errors import UserError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Change:
    uri: str
    action: str  # "restore" (copy an older version back) or "delete" (add a delete marker)
    current: str  # the latest version id now, "absent" under a delete marker
    restored: ObjectVersion | None = None

    def to_dict(self) -> dict[str, Any]:
        wanted = self.restored
        return {
            "uri": self.uri,
            "action": self.action,
            "current_version": self.current,
            "restored_version": wanted.version_id if wanted else None,
            "restored_version_modified": wanted.modified.isoformat() if wanted else None,
        }


def parse_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--to-time {text!r} is not an ISO 8601 time; write e.g. 2024-05-01T12:00:00Z"
        ) from None
    if at.tzinfo is None:
        raise UserError(
            f"--to-time {text!r} has no time zone; add Z (UTC) or an offset such as +02:00"
        )
    return at


def plan(versions: list[ObjectVersion], at: datetime) -> tuple[list[Change], int]:
    """The changes that bring each object back to its state at ``at``; and how many objects
    are already as they were."""
    changes: list[Change] = []
    unchanged = 0
    ordered = sorted(versions, key=lambda v: (v.uri, v.modified, v.latest))
    for uri, group in groupby(ordered, key=lambda v: v.uri):
        entries = list(group)
        latest = next((e for e in entries if e.latest), entries[-1])
        past = [e for e in entries if e.modified <= at]
        then = past[-1] if past else None
        now = "absent" if latest.deleted else latest.version_id
        if then is None or then.deleted:
            if latest.deleted:
                unchanged += 1
            else:
                changes.append(Change(uri, "delete", now))
        elif then.version_id == latest.version_id or (
            not latest.deleted and then.etag and then.etag == latest.etag
        ):  # the same bytes are the latest already (e.g. restored before)
            unchanged += 1
        else:
            changes.append(Change(uri, "restore", now, then))
    return changes, unchanged


def restore_prefix(
    store: ArtifactStore, prefix: str, at: datetime, progress: Progress, dry_run: bool = False
) -> dict[str, Any]:
    """Bring ``prefix`` back to ``at``; what changed (or, ``dry_run``, would change)."""
    if not prefix.startswith("s3://"):
        raise UserError(
            f"--prefix {prefix!r} is not an s3:// URI; write s3://<bucket>/<prefix> (locally "
            "the same URI names the local artifact store's copy)"
        )
    versioned: VersionedStore = require(store, VersionedStore, "keep object versions")
    versioned.check_versioned(prefix)
    changes, unchanged = plan(versioned.versions(prefix), at)
    if not dry_run:
        for change in changes:
            if change.restored is not None:
                versioned.restore_version(change.restored)
                progress(f"restored {change.uri} to version {change.restored.version_id}")
        deleted = [c.uri for c in changes if c.action == "delete"]
        if deleted:
            versioned.delete(deleted)
            progress(f"deleted {len(deleted)} objects created after {at.isoformat()}")
    return {
        "prefix": prefix,
        "to_time": at.isoformat(),
        "dry_run": dry_run,
        "changes": [c.to_dict() for c in changes],
        "unchanged": unchanged,
    }
