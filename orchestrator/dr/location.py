"""Where a backup lives: a folder on this machine, or an ``s3://`` prefix reached through the
environment's artifact store (S3 on AWS, the local store locally).

A backup is written whole into a scratch folder first and then copied out in one go (a folder:
renamed into place; S3: one upload per file), and read back by copying it into a scratch
folder, so the flows only ever handle a local folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestrator.backends.base import ArtifactStore
from orchestrator.errors import OperationFailed, UserError


def is_s3(where: str) -> bool:
    return where.startswith("s3://")


def child(where: str, name: str) -> str:
    return f"{where.rstrip('/')}/{name}" if is_s3(where) else str(Path(where) / name)


def save(folder: Path, where: str, store: ArtifactStore) -> str:
    """Copy the finished backup ``folder`` to ``where`` (its final name); the location."""
    if is_s3(where):
        if store.exists(f"{where.rstrip('/')}/"):
            raise OperationFailed(f"{where} already holds objects; a backup is never overwritten")
        store.publish(folder, f"{where.rstrip('/')}/")
        return f"{where.rstrip('/')}/"
    target = Path(where)
    if target.exists():
        raise OperationFailed(f"{target} already exists; a backup is never overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".partial-{target.name}"
    shutil.copytree(folder, staging)
    os.rename(staging, target)
    return str(target)


def check_destination(where: str) -> None:
    if not is_s3(where) and Path(where).exists() and not Path(where).is_dir():
        raise UserError(f"--to {where} is a file; name a folder or an s3://bucket/prefix")


def fetch(where: str, store: ArtifactStore, scratch: Path) -> Path:
    """The backup at ``where`` as a local folder (a copy for s3://, the folder itself)."""
    if not is_s3(where):
        folder = Path(where)
        if not folder.is_dir():
            raise UserError(f"--from {where} is not a folder; pass the backup folder to restore")
        return folder
    prefix = f"{where.rstrip('/')}/"
    if not store.exists(prefix):
        raise UserError(f"nothing is stored under {prefix}; pass the backup's s3:// prefix")
    store.download(prefix, scratch)
    return scratch
