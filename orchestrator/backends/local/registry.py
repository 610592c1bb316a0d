"""The local model registry: SageMaker Model Registry semantics in one SQLite file.

Why SQLite: it gives atomic, durable transactions and cross-process locking from the standard
library, so a registration either lands completely or not at all even when the process is killed
mid-write, and two processes registering into the same group at once get distinct versions.
Every write is one transaction; registration takes the write lock up front (``BEGIN IMMEDIATE``)
so "read the highest version, insert the next" cannot interleave with another writer. The
database runs in WAL mode so readers (``models list``, a deploy) never block a registration.

ARNs are shaped like SageMaker's with local placeholders for region and account, so code that
parses or displays them works unchanged against either backend.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.model_registry import (
    ApprovalStatus,
    ModelPackage,
    RegistryError,
    check_group_name,
    check_status,
    check_transition,
    model_package_arn,
    parse_model_package_arn,
)

LOCAL_REGION = "local"
LOCAL_ACCOUNT = "000000000000"
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

_COLUMNS = (
    "group_name, version, arn, approval_status, model_data_url, image_uri, description, metrics, "
    "metrics_uri, metadata, created_at, status_reason, status_changed_at"
)


def _now() -> datetime:
    return datetime.now(UTC)


class LocalModelRegistry:
    """A :class:`ModelRegistry` stored in ``db_path`` (SQLite).

    Each call opens its own connection, so one instance is safe to share between threads and
    the file is safe to share between processes.
    """

    def __init__(
        self, db_path: Path | str, *, region: str = LOCAL_REGION, account: str = LOCAL_ACCOUNT
    ) -> None:
        self.db_path = Path(db_path)
        self.region = region
        self.account = account
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.db_path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                    # Idempotent statements in one transaction: racing first opens are harmless.
                    db.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    db.execute("COMMIT")
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            raise RegistryError(
                f"cannot open the model registry database {self.db_path}: {exc}; point the "
                "registry at a writable path, or move a damaged file aside to start a new one"
            ) from None
        found = self._user_version()
        if found != SCHEMA_VERSION:
            raise RegistryError(
                f"{self.db_path} has registry schema version {found}, this code reads version "
                f"{SCHEMA_VERSION}; use a matching orchestrator version or a new registry file"
            )

    # -- connections ---------------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: no implicit transactions; every write below opens its own.
        try:
            db = sqlite3.connect(self.db_path, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
        except sqlite3.Error as exc:
            raise RegistryError(f"cannot open the model registry {self.db_path}: {exc}") from None
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=FULL")  # a committed registration survives power loss
            yield db
        except sqlite3.Error as exc:
            # Disk full, read-only file, I/O error: the environment, not the request, is at fault.
            raise RegistryError(
                f"the model registry {self.db_path} failed: {exc}; check that the file and its "
                "directory are writable and the disk has room, then retry"
            ) from None
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write transaction holding the database's write lock throughout."""
        with self._connection() as db:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise RegistryError(
                    f"the model registry {self.db_path} stayed locked by another writer for "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} s ({exc}); retry when the other process is done"
                ) from None
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _user_version(self) -> int:
        with self._connection() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    # -- groups --------------------------------------------------------------------------------
    def ensure_group(self, group: str, description: str = "") -> None:
        check_group_name(group)
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO model_package_groups (name, description, created_at) "
                "VALUES (?, ?, ?)",
                (group, description, _now().isoformat()),
            )

    def list_groups(self) -> list[str]:
        with self._connection() as db:
            rows = db.execute("SELECT name FROM model_package_groups ORDER BY name").fetchall()
        return [row[0] for row in rows]

    # -- versions ------------------------------------------------------------------------------
    def register(
        self,
        group: str,
        *,
        model_data_url: str,
        image_uri: str,
        approval_status: ApprovalStatus = "PendingManualApproval",
        description: str = "",
        metrics: dict[str, float] | None = None,
        metrics_uri: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ModelPackage:
        check_group_name(group)
        check_status(approval_status)
        clean_metrics = _check_metrics(metrics or {})
        clean_metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
        if not model_data_url:
            raise RegistryError("register needs model_data_url: the S3 URI of the model.tar.gz")
        created_at = _now()
        with self._write() as db:
            self._require_group(db, group)
            (version,) = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_packages WHERE group_name = ?",
                (group,),
            ).fetchone()
            arn = model_package_arn(self.region, self.account, group, version)
            db.execute(
                f"INSERT INTO model_packages ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    group,
                    version,
                    arn,
                    approval_status,
                    model_data_url,
                    image_uri,
                    description,
                    json.dumps(clean_metrics, sort_keys=True),
                    metrics_uri,
                    json.dumps(clean_metadata, sort_keys=True),
                    created_at.isoformat(),
                    "",
                    None,
                ),
            )
            db.execute(
                "INSERT INTO approval_history VALUES (?, ?, NULL, ?, ?, ?)",
                (group, version, approval_status, "registered", created_at.isoformat()),
            )
            row = self._select_one(db, group, version)
        return _package(row)

    def get(self, group: str, version: int) -> ModelPackage:
        with self._connection() as db:
            self._require_group(db, group)
            return _package(self._select_one(db, group, version))

    def get_by_arn(self, arn: str) -> ModelPackage:
        """The version an ARN names (as printed by ``models list``)."""
        group, version = parse_model_package_arn(arn)
        return self.get(group, version)

    def list_versions(self, group: str, status: ApprovalStatus | None = None) -> list[ModelPackage]:
        if status is not None:
            check_status(status)
        with self._connection() as db:
            self._require_group(db, group)
            query = f"SELECT {_COLUMNS} FROM model_packages WHERE group_name = ?"
            params: tuple[Any, ...] = (group,)
            if status is not None:
                query += " AND approval_status = ?"
                params += (status,)
            rows = db.execute(query + " ORDER BY version", params).fetchall()
        return [_package(row) for row in rows]

    def latest_approved(self, group: str) -> ModelPackage | None:
        with self._connection() as db:
            self._require_group(db, group)
            row = db.execute(
                f"SELECT {_COLUMNS} FROM model_packages WHERE group_name = ? "
                "AND approval_status = 'Approved' ORDER BY version DESC LIMIT 1",
                (group,),
            ).fetchone()
        return _package(row) if row else None

    def set_status(
        self, group: str, version: int, status: ApprovalStatus, reason: str = ""
    ) -> ModelPackage:
        check_status(status)
        with self._write() as db:
            self._require_group(db, group)
            current = _package(self._select_one(db, group, version))
            check_transition(current.approval_status, status)
            if status != current.approval_status:
                changed_at = _now().isoformat()
                db.execute(
                    "UPDATE model_packages SET approval_status = ?, status_reason = ?, "
                    "status_changed_at = ? WHERE group_name = ? AND version = ?",
                    (status, reason, changed_at, group, version),
                )
                db.execute(
                    "INSERT INTO approval_history VALUES (?, ?, ?, ?, ?, ?)",
                    (group, version, current.approval_status, status, reason, changed_at),
                )
            elif reason:
                # Same status again: SageMaker updates only the approval description.
                db.execute(
                    "UPDATE model_packages SET status_reason = ? "
                    "WHERE group_name = ? AND version = ?",
                    (reason, group, version),
                )
            row = self._select_one(db, group, version)
        return _package(row)

    def status_history(self, group: str, version: int) -> list[dict[str, str | None]]:
        """Every approval status change of one version, oldest first (registration included)."""
        with self._connection() as db:
            self._require_group(db, group)
            self._select_one(db, group, version)
            rows = db.execute(
                "SELECT from_status, to_status, reason, changed_at FROM approval_history "
                "WHERE group_name = ? AND version = ? ORDER BY rowid",
                (group, version),
            ).fetchall()
        return [
            {"from": row[0], "to": row[1], "reason": row[2], "changed_at": row[3]} for row in rows
        ]

    # -- helpers -------------------------------------------------------------------------------
    def _require_group(self, db: sqlite3.Connection, group: str) -> None:
        found = db.execute("SELECT 1 FROM model_package_groups WHERE name = ?", (group,)).fetchone()
        if not found:
            raise RegistryError(
                f"model package group {group!r} does not exist in {self.db_path}; create it with "
                "ensure_group (the pipeline's RegisterModel step does) or check the name"
            )

    def _select_one(self, db: sqlite3.Connection, group: str, version: int) -> tuple[Any, ...]:
        if isinstance(version, bool) or not isinstance(version, int):
            raise RegistryError(f"a model version is a whole number from 1, got {version!r}")
        row = db.execute(
            f"SELECT {_COLUMNS} FROM model_packages WHERE group_name = ? AND version = ?",
            (group, version),
        ).fetchone()
        if row is None:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM model_packages WHERE group_name = ?", (group,)
            ).fetchone()
            raise RegistryError(
                f"model package group {group!r} has no version {version} (it has versions "
                f"1..{count}); list them with `orchestrator models list`"
                if count
                else f"model package group {group!r} has no versions yet; register a model first"
            )
        return tuple(row)


def _check_metrics(metrics: dict[str, float]) -> dict[str, float]:
    clean: dict[str, float] = {}
    for name, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RegistryError(f"metric {name!r} is {value!r}, not a number") from None
        if not math.isfinite(number):
            raise RegistryError(f"metric {name!r} is {number}; a registered metric must be finite")
        clean[str(name)] = number
    return clean


def _package(row: tuple[Any, ...]) -> ModelPackage:
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
