"""The local artifact store: ``s3://bucket/key`` is the directory entry ``<root>/bucket/key``.

Jobs only ever see copies (downloads into their own work directory), and a job's results enter
the store only through :meth:`ArtifactStore.publish`, which stages the copy under a hidden name
in the destination's own folder and renames it into place. A reader therefore sees either the
previous complete artifact or the new complete one, never a half-written file, even if the
runner is killed mid-copy; :meth:`ArtifactStore.recover` removes or rolls back what such a kill
left behind.

It keeps the versions of what it publishes (``object_versions.py``), so a point-in-time restore
(``orchestrator data restore``) works locally as on a versioned S3 bucket.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from orchestrator.backends.fingerprint import objects_digest
from orchestrator.backends.local.errors import ArtifactError
from orchestrator.backends.local.object_versions import (
    JOURNAL,
    UNTRACKED,
    VersionJournal,
    versions_of,
)
from orchestrator.backends.recovery import ObjectVersion

# Hidden prefixes for in-flight entries; never valid bucket keys produced by a pipeline.
STAGING_PREFIX = ".partial-"
RETIRED_PREFIX = ".retired-"


class ArtifactStore:
    """Maps S3 URIs onto a directory tree and copies artifacts in and out atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.journal = VersionJournal(self.root)

    def path(self, uri: str) -> Path:
        """The local path that stands for ``uri`` (which need not exist yet)."""
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            raise ArtifactError(
                f"{uri!r} is not an s3:// URI; the local runner maps only s3://bucket/key "
                "locations onto its artifact store"
            )
        bucket, _, key = uri[len("s3://") :].partition("/")
        parts = [p for p in key.split("/") if p]
        if not bucket or any(p in (".", "..") for p in [bucket, *parts]):
            raise ArtifactError(f"{uri!r} is not a valid S3 URI (need s3://bucket/key)")
        if any(p.startswith((STAGING_PREFIX, RETIRED_PREFIX)) for p in parts):
            raise ArtifactError(f"{uri!r} names an in-flight artifact; use the published name")
        return self.root.joinpath(bucket, *parts)

    def exists(self, uri: str) -> bool:
        return self.path(uri).exists()

    def download(self, uri: str, destination: Path) -> list[Path]:
        """Copy what ``uri`` names into the directory ``destination``, as SageMaker does for an
        S3Prefix input: a prefix's files keep their relative paths, a single object keeps its
        name. Raises ArtifactError when nothing is stored there."""
        source = self.path(uri)
        destination.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
            return sorted(p for p in destination.rglob("*") if p.is_file())
        if source.is_file():
            target = destination / source.name
            shutil.copy2(source, target)
            return [target]
        raise ArtifactError(f"no objects found at {uri} (looked in {source})")

    def fingerprint(self, uri: str) -> str | None:
        """Over what :meth:`download` copies from ``uri`` (one file, or a folder's files): each
        file's path relative to ``uri``, size and SHA-256, the local stand-in for S3's ETag."""
        source = self.path(uri)
        if source.is_file():
            files = [(source.name, source)]
        elif source.is_dir():
            found = (p for p in source.rglob("*") if p.is_file() and not _in_flight(p, source))
            files = [(p.relative_to(source).as_posix(), p) for p in found]
        else:
            return None
        return objects_digest((key, path.stat().st_size, _sha256(path)) for key, path in files)

    def read_bytes(self, uri: str) -> bytes:
        source = self.path(uri)
        if not source.is_file():
            raise ArtifactError(f"no object at {uri} (looked for the file {source})")
        return source.read_bytes()

    def publish(self, source: Path, uri: str) -> str:
        """Make ``source`` (a file or a directory) the artifact at ``uri``, atomically replacing
        whatever was there. Returns ``uri``."""
        destination = self.path(uri)
        before = _objects(destination, uri)
        for key, file in before.items():
            self.journal.record_untracked(key, file)
        destination.parent.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        staging = destination.parent / f"{STAGING_PREFIX}{destination.name}.{token}"
        if Path(source).is_dir():
            shutil.copytree(source, staging)
        else:
            shutil.copy2(source, staging)
        _fsync_tree(staging)
        if destination.exists() and (destination.is_dir() or staging.is_dir()):
            # A directory can't be replaced by one rename; park the old one under a name that
            # recover() understands, swap, then delete it.
            retired = destination.parent / f"{RETIRED_PREFIX}{destination.name}.{token}"
            os.rename(destination, retired)
            os.rename(staging, destination)
            _remove(retired)
        else:
            os.replace(staging, destination)
        after = _objects(destination, uri)
        for key, file in after.items():
            self.journal.record(key, file)
        for key in sorted(before.keys() - after.keys()):
            self.journal.record_delete(key)
        return uri

    # -- versions (backends/recovery.py: VersionedStore; object_versions.py) -------------------
    def check_versioned(self, prefix: str) -> None:
        self.path(prefix)  # a valid s3:// URI; this store always keeps versions

    def versions(self, prefix: str) -> list[ObjectVersion]:
        bucket = self.path(prefix).relative_to(self.root).parts[0]
        folder = self.root / bucket
        current = {
            f"s3://{bucket}/{p.relative_to(folder).as_posix()}"
            for p in (folder.rglob("*") if folder.is_dir() else [])
            if p.is_file() and not _in_flight(p, folder)
        }
        uris = {u for u in current if u.startswith(prefix)} | set(
            self.journal.journaled_uris(prefix)
        )
        return [v for u in sorted(uris) for v in versions_of(self.journal, u, self.path(u))]

    def restore_version(self, version: ObjectVersion) -> None:
        if version.version_id.startswith(UNTRACKED) or version.deleted:
            raise ArtifactError(f"{version.uri} version {version.version_id} has no stored bytes")
        self.publish(self.journal.entry(version.uri, version.version_id), version.uri)

    def delete(self, uris: list[str]) -> None:
        for uri in uris:
            target = self.path(uri)
            if target.is_file():
                self.journal.record_untracked(uri, target)
                target.unlink()
                self.journal.record_delete(uri)

    def recover(self) -> list[Path]:
        """Delete staged copies and roll back half-done swaps left by a killed runner. Call only
        when no other runner is publishing into this store. Returns what it removed."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for folder, dirnames, filenames in os.walk(self.root):
            here = Path(folder)
            for name in [*dirnames, *filenames]:
                entry = here / name
                if name.startswith(STAGING_PREFIX):
                    _remove(entry)
                    removed.append(entry)
                elif name.startswith(RETIRED_PREFIX):
                    original = here / name[len(RETIRED_PREFIX) :].rsplit(".", 1)[0]
                    if original.exists():
                        _remove(entry)
                        removed.append(entry)
                    else:  # killed between the two renames: the old artifact is still whole
                        os.rename(entry, original)
            dirnames[:] = [
                d for d in dirnames if not d.startswith((STAGING_PREFIX, RETIRED_PREFIX, JOURNAL))
            ]
        return removed


def _objects(destination: Path, uri: str) -> dict[str, Path]:
    """The objects stored at ``destination`` (a file, or a folder's files) by URI."""
    if destination.is_file():
        return {uri: destination}
    if not destination.is_dir():
        return {}
    base = uri.rstrip("/")
    return {
        f"{base}/{p.relative_to(destination).as_posix()}": p
        for p in destination.rglob("*")
        if p.is_file() and not _in_flight(p, destination)
    }


def _in_flight(path: Path, root: Path) -> bool:
    """Whether ``path`` is (inside) a copy :meth:`ArtifactStore.publish` has not swapped in."""
    parts = path.relative_to(root).parts
    return any(p.startswith((STAGING_PREFIX, RETIRED_PREFIX)) for p in parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync_tree(path: Path) -> None:
    """Flush file contents before the rename that publishes them, so a power cut can't leave a
    published name pointing at empty blocks."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for file in files:
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())
