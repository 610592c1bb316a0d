"""Object versions for the local artifact store, so a point-in-time restore works locally as it
does on a versioned S3 bucket (``backends/recovery.py: VersionedStore``).

Every object :meth:`ArtifactStore.publish` writes is also recorded in a journal beside the
buckets, ``<store>/.versions/<bucket>/<key>/.v/<nanoseconds>-<token>``: a hard link to the
published file (published files are never modified in place, so the link keeps that version's
bytes for free; a copy where links are impossible). A delete, or a key a directory publish no
longer holds, is an empty ``...-<token>.deleted`` entry: S3's delete marker. Bucket names
never start with a dot, so the journal never shadows a bucket.

Files that reached the store before versions were kept (or by writing into it directly) have
no entry: :func:`versions` reports such a file as the version ``untracked``, as old as the
epoch, so a restore keeps it rather than deleting what it knows nothing about; publishing over
one journals its bytes first. Nothing is ever pruned: like S3 without a lifecycle rule,
history grows until someone removes ``.versions``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestrator.backends.recovery import ObjectVersion

JOURNAL = ".versions"
ENTRIES = ".v"
DELETED = ".deleted"
UNTRACKED = "untracked"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class VersionJournal:
    """The journal of the store rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.base = self.root / JOURNAL

    def _entries_dir(self, uri: str) -> Path:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.base.joinpath(bucket, *[p for p in key.split("/") if p], ENTRIES)

    def _new_entry(self, uri: str, suffix: str = "") -> Path:
        folder = self._entries_dir(uri)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{time.time_ns():020d}-{secrets.token_hex(4)}{suffix}"

    def record(self, uri: str, file: Path) -> None:
        """``file`` (just published at ``uri``) is the object's newest version."""
        entry = self._new_entry(uri)
        try:
            os.link(file, entry)
        except OSError:
            shutil.copy2(file, entry)

    def record_untracked(self, uri: str, file: Path) -> None:
        """Keep the bytes of a file about to be replaced when no entry holds them yet."""
        latest = self.entries(uri)[-1:] if self._entries_dir(uri).is_dir() else []
        if latest and not latest[0].name.endswith(DELETED) and _same(latest[0], file):
            return
        self.record(uri, file)

    def record_delete(self, uri: str) -> None:
        self._new_entry(uri, DELETED).touch()

    def entries(self, uri: str) -> list[Path]:
        """The object's entries, oldest first."""
        folder = self._entries_dir(uri)
        return sorted(folder.iterdir(), key=lambda p: p.name) if folder.is_dir() else []

    def entry(self, uri: str, version_id: str) -> Path:
        return self._entries_dir(uri) / version_id

    def journaled_uris(self, prefix: str) -> Iterator[str]:
        """Every object URI with entries whose URI starts with ``prefix``."""
        bucket = prefix.removeprefix("s3://").partition("/")[0]
        top = self.base / bucket
        if not top.is_dir():
            return
        for folder in top.rglob(ENTRIES):
            key = folder.parent.relative_to(top).as_posix()
            uri = f"s3://{bucket}/{key}"
            if uri.startswith(prefix):
                yield uri


def versions_of(journal: VersionJournal, uri: str, current: Path) -> list[ObjectVersion]:
    """Every version of one object, the latest flagged, as S3 lists them."""
    found = [_version(uri, entry) for entry in journal.entries(uri)]
    last = found[-1] if found else None
    if current.is_file():
        stat = current.stat()
        tracked = last is not None and not last.deleted
        if not (tracked and last and _same(journal.entry(uri, last.version_id), current)):
            when = datetime.fromtimestamp(stat.st_mtime, UTC) if found else EPOCH
            found.append(
                ObjectVersion(uri, UNTRACKED, when, False, False, stat.st_size, _sha256(current))
            )
    elif last is not None and not last.deleted:  # removed behind the store's back
        when = last.modified + timedelta(microseconds=1)
        found.append(ObjectVersion(uri, f"{UNTRACKED}{DELETED}", when, False, True))
    if found:
        found[-1] = ObjectVersion(**{**found[-1].__dict__, "latest": True})
    return found


def _version(uri: str, entry: Path) -> ObjectVersion:
    nanoseconds = int(entry.name.split("-", 1)[0])
    when = EPOCH + timedelta(microseconds=nanoseconds // 1000)
    deleted = entry.name.endswith(DELETED)
    size = 0 if deleted else entry.stat().st_size
    return ObjectVersion(
        uri, entry.name, when, False, deleted, size, "" if deleted else _sha256(entry)
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
