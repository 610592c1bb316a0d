"""One digest for :meth:`ArtifactStore.fingerprint`, shared by the S3 and the local store.

A data version is a digest of the objects a job reading a prefix gets: each object's key
relative to the prefix, its size and its content tag (S3's ETag; the local store's SHA-256 of
the bytes), sorted by key. Any added, removed or rewritten object changes it; listing order,
timestamps and the store's location do not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DIGEST_CHARS = 32  # 128 bits: a version label, not a security boundary


def objects_digest(objects: Iterable[tuple[str, int, str]]) -> str | None:
    """The digest of ``(relative key, size, content tag)`` triples; None when there are none."""
    entries = sorted(objects)
    if not entries:
        return None
    digest = hashlib.sha256()
    for key, size, tag in entries:
        digest.update(f"{key}\0{size}\0{tag}\n".encode())
    return digest.hexdigest()[:DIGEST_CHARS]
