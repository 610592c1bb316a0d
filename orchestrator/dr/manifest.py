"""The backup format: ``manifest.json`` plus one file per package, pipeline definition and
deployment-history event, all JSON, so a backup is readable without this code.

Layout of one backup folder (``<--to>/backup-<env>-<UTC time>/``)::

    manifest.json                       this model: what, of which environment, from which commit
    groups/<group>/<version>.json       one PackageRecord per model version, registration order
    pipeline/<pipeline name>.json       the stored pipeline definition (DescribePipeline's)
    history/<event>.json                the deployment-history events, bytes as stored
    artifacts/<bucket>/<key>            with --with-artifacts: the objects the packages point at
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import UserError

FORMAT = "mlops-dr-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class ApprovalRecord(BaseModel):
    """One approval status change (the registration first)."""

    to_status: str
    reason: str = ""
    changed_at: datetime | None = None
    from_status: str | None = None


class PackageRecord(BaseModel):
    """A model version as the registry reports it, and how its status came to be.
    ``approval_history_complete``: False on SageMaker, which keeps only the current status,
    its ApprovalDescription and LastModifiedTime (one entry)."""

    package: ModelPackage
    approval_history: list[ApprovalRecord]
    approval_history_complete: bool


class GroupEntry(BaseModel):
    name: str
    packages: list[str]  # file names under groups/<name>/, registration order


class Source(BaseModel):
    """Where the backup was taken: the stack the ARNs and URIs in it belong to."""

    backend: str
    account_id: str | None = None
    region: str
    project: str
    artifacts_bucket: str
    data_bucket: str
    model_package_group_name: str
    pipeline_name: str
    endpoint_name: str


class Manifest(BaseModel):
    format: Literal["mlops-dr-backup"] = "mlops-dr-backup"
    format_version: int = FORMAT_VERSION
    created: datetime
    environment: str
    source: Source
    git: dict[str, Any]
    environment_file: str | None = None  # environments/<env>.yaml as it was
    environment_settings: dict[str, Any] = Field(default_factory=dict)  # after --set
    tfvars: str | None = None  # environments/<env>.tfvars.json as rendered
    groups: list[GroupEntry] = Field(default_factory=list)
    pipeline_definition: str | None = None  # file name under pipeline/
    history: list[str] = Field(default_factory=list)  # file names under history/
    artifacts: dict[str, str] = Field(default_factory=dict)  # URI -> file under artifacts/
    deployed: dict[str, Any] = Field(default_factory=dict)  # what serves, and its commit


def read_manifest(folder: Path, where: str) -> Manifest:
    """The manifest of the backup in ``folder`` (fetched from ``where``); UserError when it is
    not a backup this code reads."""
    path = folder / MANIFEST
    if not path.is_file():
        raise UserError(
            f"{where} holds no {MANIFEST}, so it is not a backup; pass the backup folder "
            "`orchestrator backup` printed (…/backup-<env>-<time>)"
        )
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{where}/{MANIFEST} is not JSON ({exc}); the backup is damaged") from None
    if data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"{where}/{MANIFEST} is format {data.get('format')!r} version "
            f"{data.get('format_version')!r}; this orchestrator reads {FORMAT} version "
            f"{FORMAT_VERSION}: restore with the commit the manifest's git.commit names"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{where}/{MANIFEST} does not match the backup format: {exc}") from None


def read_package(folder: Path, group: str, name: str) -> PackageRecord:
    path = folder / "groups" / group / name
    try:
        return PackageRecord.model_validate_json(path.read_text())
    except (OSError, ValidationError) as exc:
        raise UserError(
            f"the backup's groups/{group}/{name} is missing or damaged: {exc}"
        ) from None
