"""The SQLite file behind the local model registry: its tables, opening (and creating) it, one
connection per call, all-or-nothing write transactions, and a row read back as a package.

Why SQLite: it gives atomic, durable transactions and cross-process locking from the standard
library, so a registration either lands completely or not at all even when the process is killed
mid-write, and two processes registering into the same group at once get distinct versions.
A write takes the lock up front (``BEGIN IMMEDIATE``), so "read the highest version, insert the
next" cannot interleave with another writer. The database runs in WAL mode so readers
(``models list``, a deploy) never block a registration.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.model_registry import ModelPackage, RegistryError

SCHEMA_VERSION = 1
# How long a writer waits for another process's write lock before giving up.
LOCK_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS model_package_groups (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_packages (
    group_name TEXT NOT NULL REFERENCES model_package_groups(name),
    version INTEGER NOT NULL CHECK (version >= 1),
    arn TEXT NOT NULL UNIQUE,
    approval_status TEXT NOT NULL
        CHECK (approval_status IN ('PendingManualApproval', 'Approved', 'Rejected')),
    model_data_url TEXT NOT NULL,
    image_uri TEXT NOT NULL,
    description TEXT NOT NULL,
    metrics TEXT NOT NULL,
    metrics_uri TEXT,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    status_changed_at TEXT,
    PRIMARY KEY (group_name, version)
);
CREATE TABLE IF NOT EXISTS approval_history (
    group_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    FOREIGN KEY (group_name, version) REFERENCES model_packages(group_name, version)
);
"""

# The model_packages columns in the order package_from_row reads them.
PACKAGE_COLUMNS = (
    "group_name, version, arn, approval_status, model_data_url, image_uri, description, metrics, "
    "metrics_uri, metadata, created_at, status_reason, status_changed_at"
)


class RegistryDatabase:
    """One registry file, created at :data:`SCHEMA_VERSION` on first open; refuses a file of
    another schema version rather than misreading it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._open()
            try:
                db.execute("PRAGMA journal_mode=WAL")
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    _create_tables(db)
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            raise RegistryError(
                f"cannot open the model registry database {self.path}: {exc}; point the "
                "registry at a writable path, or move a damaged file aside to start a new one"
            ) from None
        with self.read() as db:
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
        if found != SCHEMA_VERSION:
            raise RegistryError(
                f"{self.path} has registry schema version {found}, this code reads version "
                f"{SCHEMA_VERSION}; use a matching orchestrator version or a new registry file"
            )

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; every write opens its own.
        return sqlite3.connect(self.path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own (so one registry is safe to share between threads); a
        database failure is a :class:`RegistryError` naming the file."""
        try:
            db = self._open()
        except sqlite3.Error as exc:
            raise RegistryError(f"cannot open the model registry {self.path}: {exc}") from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")  # a committed registration survives power loss
            yield db
        except sqlite3.Error as exc:
            # Disk full, read-only file, I/O error: the environment, not the request, is at fault.
            raise RegistryError(
                f"the model registry {self.path} failed: {exc}; check that the file and its "
                "directory are writable and the disk has room, then retry"
            ) from None
        finally:
            db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write transaction holding the database's write lock throughout."""
        with self.read() as db:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise RegistryError(
                    f"the model registry {self.path} stayed locked by another writer for "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} s ({exc}); retry when the other process is done"
                ) from None
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


def _create_tables(db: sqlite3.Connection) -> None:
    # Idempotent statements in one transaction: racing first opens are harmless.
    db.execute("BEGIN IMMEDIATE")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute("COMMIT")


def package_from_row(row: tuple[Any, ...]) -> ModelPackage:
    """A ``SELECT {PACKAGE_COLUMNS}`` row as the package it stores."""
    (
        group,
        version,
        arn,
        status,
        model_data_url,
        image_uri,
        description,
        metrics,
        metrics_uri,
        metadata,
        created_at,
        status_reason,
        status_changed_at,
    ) = row
    return ModelPackage(
        group=group,
        version=version,
        arn=arn,
        approval_status=status,
        model_data_url=model_data_url,
        image_uri=image_uri,
        description=description,
        metrics=json.loads(metrics),
        metrics_uri=metrics_uri,
        metadata=json.loads(metadata),
        created_at=datetime.fromisoformat(created_at),
        status_reason=status_reason,
        status_changed_at=datetime.fromisoformat(status_changed_at) if status_changed_at else None,
    )
