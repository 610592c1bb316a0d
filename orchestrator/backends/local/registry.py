"""The local model registry: SageMaker Model Registry semantics in one SQLite file
(:mod:`.registry_db` says why SQLite and how writes are made atomic).

Versions are numbered per group from 1, inside the write transaction that inserts them, so two
processes registering at once get distinct versions; every approval status change is recorded
with its reason. ARNs are shaped like SageMaker's with local placeholders for region and account,
so code that parses or displays them works unchanged against either backend.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.local.registry_db import (
    PACKAGE_COLUMNS,
    RegistryDatabase,
    package_from_row,
)
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
from orchestrator.backends.recovery import StatusChange

LOCAL_REGION = "local"
LOCAL_ACCOUNT = "000000000000"


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
        self._db = RegistryDatabase(self.db_path)

    # -- groups --------------------------------------------------------------------------------
    def ensure_group(
        self, group: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> None:
        # ``tags`` are for AWS's cost and access controls; a registry file on this machine has
        # neither, so they are not stored.
        check_group_name(group)
        with self._db.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO model_package_groups (name, description, created_at) "
                "VALUES (?, ?, ?)",
                (group, description, _now().isoformat()),
            )

    def list_groups(self) -> list[str]:
        with self._db.read() as db:
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
        with self._db.write() as db:
            self._require_group(db, group)
            (version,) = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_packages WHERE group_name = ?",
                (group,),
            ).fetchone()
            arn = model_package_arn(self.region, self.account, group, version)
            db.execute(
                f"INSERT INTO model_packages ({PACKAGE_COLUMNS}) VALUES "
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
        return package_from_row(row)

    def get(self, group: str, version: int) -> ModelPackage:
        with self._db.read() as db:
            self._require_group(db, group)
            return package_from_row(self._select_one(db, group, version))

    def get_by_arn(self, arn: str) -> ModelPackage:
        """The version an ARN names (as printed by ``models list``)."""
        group, version = parse_model_package_arn(arn)
        return self.get(group, version)

    def list_versions(self, group: str, status: ApprovalStatus | None = None) -> list[ModelPackage]:
        if status is not None:
            check_status(status)
        with self._db.read() as db:
            self._require_group(db, group)
            query = f"SELECT {PACKAGE_COLUMNS} FROM model_packages WHERE group_name = ?"
            params: tuple[Any, ...] = (group,)
            if status is not None:
                query += " AND approval_status = ?"
                params += (status,)
            rows = db.execute(query + " ORDER BY version", params).fetchall()
        return [package_from_row(row) for row in rows]

    def latest_approved(self, group: str) -> ModelPackage | None:
        with self._db.read() as db:
            self._require_group(db, group)
            row = db.execute(
                f"SELECT {PACKAGE_COLUMNS} FROM model_packages WHERE group_name = ? "
                "AND approval_status = 'Approved' ORDER BY version DESC LIMIT 1",
                (group,),
            ).fetchone()
        return package_from_row(row) if row else None

    def set_status(
        self, group: str, version: int, status: ApprovalStatus, reason: str = ""
    ) -> ModelPackage:
        check_status(status)
        with self._db.write() as db:
            self._require_group(db, group)
            current = package_from_row(self._select_one(db, group, version))
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
        return package_from_row(row)

    def status_history(self, group: str, version: int) -> list[dict[str, str | None]]:
        """Every approval status change of one version, oldest first (registration included)."""
        with self._db.read() as db:
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

    # -- recovery (backends/recovery.py: StatusHistory) ---------------------------------------
    keeps_full_approval_history = True

    def approval_history(self, group: str, version: int) -> list[StatusChange]:
        """:meth:`status_history` as the recovery protocol's type."""
        return [
            StatusChange(
                to_status=str(entry["to"]),
                reason=str(entry["reason"] or ""),
                changed_at=datetime.fromisoformat(str(entry["changed_at"])),
                from_status=entry["from"],
            )
            for entry in self.status_history(group, version)
        ]

    # -- helpers -------------------------------------------------------------------------------
    def _require_group(self, db: sqlite3.Connection, group: str) -> None:
        found = db.execute("SELECT 1 FROM model_package_groups WHERE name = ?", (group,)).fetchone()
        if not found:
            raise RegistryError(
                f"model package group {group!r} does not exist in {self.db_path}; create it with "
                "ensure_group (`orchestrator pipeline upsert` does, as the SageMaker SDK does "
                "before registering) or check the name"
            )

    def _select_one(self, db: sqlite3.Connection, group: str, version: int) -> tuple[Any, ...]:
        if isinstance(version, bool) or not isinstance(version, int):
            raise RegistryError(f"a model version is a whole number from 1, got {version!r}")
        row = db.execute(
            f"SELECT {PACKAGE_COLUMNS} FROM model_packages WHERE group_name = ? AND version = ?",
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
