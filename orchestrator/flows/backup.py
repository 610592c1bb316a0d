"""``orchestrator backup``: one self-describing backup of an environment's model registry,
pipeline definition and deployment history, with the configuration and commit it ran
(docs/dr.md; the format is ``dr/manifest.py``).

Written once against the protocols, so it backs up the local registry and store as it does
SageMaker and S3: every group of the stack (``flows/models.py: stack_groups``), every version
in registration order with its metrics, lineage (CustomerMetadataProperties), status and the
approval history the registry keeps (``backends/recovery.py: StatusHistory``), the stored
pipeline definition, and every deployment-history event. ``with_artifacts`` also copies the
objects the packages point at (model, evaluation report, schema, held-out rows), for a restore
where no replica of the artifacts bucket exists.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.recovery import StatusHistory, StoredDefinitions, require
from orchestrator.dr import location, provenance
from orchestrator.dr.manifest import (
    MANIFEST,
    ApprovalRecord,
    GroupEntry,
    Manifest,
    PackageRecord,
    Source,
)
from orchestrator.flows import history
from orchestrator.flows.models import stack_groups
from orchestrator.settings.environment import EnvironmentConfig

Progress = Callable[[str], None]
ARTIFACT_KEYS = ("test_data", "schema_uri")  # metadata entries that name objects


def source_of(backend: Backend) -> Source:
    o = backend.outputs
    return Source(
        backend=backend.name, account_id=o.account_id, region=o.region, project=o.project,
        artifacts_bucket=o.artifacts_bucket, data_bucket=o.data_bucket,
        model_package_group_name=o.model_package_group_name, pipeline_name=o.pipeline_name,
        endpoint_name=o.endpoint_name,
    )  # fmt: skip


def package_record(backend: Backend, package: ModelPackage) -> PackageRecord:
    registry: StatusHistory = require(backend.registry, StatusHistory, "report approval history")
    changes = registry.approval_history(package.group, package.version)
    return PackageRecord(
        package=package,
        approval_history=[ApprovalRecord(**vars(change)) for change in changes],
        approval_history_complete=registry.keeps_full_approval_history,
    )


def _write_groups(
    backend: Backend, folder: Path, progress: Progress
) -> tuple[list[GroupEntry], list[ModelPackage]]:
    entries, packages = [], []
    for group in stack_groups(backend):
        names = []
        for package in backend.registry.list_versions(group):
            packages.append(package)
            name = f"{package.version}.json"
            path = folder / "groups" / group / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(package_record(backend, package).model_dump_json(indent=2) + "\n")
            names.append(name)
        progress(f"group {group}: {len(names)} versions")
        entries.append(GroupEntry(name=group, packages=names))
    return entries, packages


def _write_history(backend: Backend, folder: Path) -> list[str]:
    prefix = history.history_prefix(backend)
    if not backend.artifacts.exists(prefix):
        return []
    history.read(backend)  # refuses (exit 1) a prefix holding something else than events
    files = backend.artifacts.download(prefix, folder / "history")
    return sorted(path.name for path in files)


def _write_artifacts(
    backend: Backend, packages: list[ModelPackage], folder: Path, progress: Progress
) -> dict[str, str]:
    wanted = set()
    for p in packages:
        wanted |= {p.model_data_url, *([p.metrics_uri] if p.metrics_uri else [])}
        wanted |= {
            p.metadata[k] for k in ARTIFACT_KEYS if p.metadata.get(k, "").startswith("s3://")
        }
    copied: dict[str, str] = {}
    for uri in sorted(wanted):
        if not backend.artifacts.exists(uri):
            progress(f"artifact {uri} is gone; not in the backup")
            continue
        relative = "artifacts/" + uri.removeprefix("s3://").rstrip("/")
        target = folder / relative
        # A prefix keeps its objects' relative paths; an object keeps its name.
        backend.artifacts.download(uri, target if uri.endswith("/") else target.parent)
        copied[uri] = relative
    progress(f"artifacts: {len(copied)} objects and prefixes copied")
    return copied


def backup(
    backend: Backend, config: EnvironmentConfig, to: str, progress: Progress,
    with_artifacts: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Write one backup under ``to`` (a folder or s3:// prefix); what it holds and where."""
    location.check_destination(to)
    created = datetime.now(UTC).replace(microsecond=0)
    name = f"backup-{config.name}-{created:%Y%m%dT%H%M%SZ}"
    runner: StoredDefinitions = require(
        backend.pipelines, StoredDefinitions, "give back its pipeline definition"
    )
    with tempfile.TemporaryDirectory(prefix="backup-") as scratch:
        folder = Path(scratch) / name
        folder.mkdir()
        groups, packages = _write_groups(backend, folder, progress)
        definition = runner.stored_definition(backend.outputs.pipeline_name)
        definition_file = None
        if definition is not None:
            definition_file = f"{backend.outputs.pipeline_name}.json"
            (folder / "pipeline").mkdir()
            (folder / "pipeline" / definition_file).write_text(definition)
        events = history.read(backend)
        manifest = Manifest(
            created=created, environment=config.name, source=source_of(backend),
            git=provenance.git_state(), **provenance.configuration(config), groups=groups,
            pipeline_definition=definition_file, history=_write_history(backend, folder),
            artifacts=_write_artifacts(backend, packages, folder, progress) if with_artifacts
            else {}, deployed=provenance.deployed(packages, events, definition),
        )  # fmt: skip
        (folder / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
        where = location.save(folder, location.child(to, name), backend.artifacts)
    progress(f"backup written to {where}")
    return summary(manifest, where)


def summary(manifest: Manifest, where: str) -> dict[str, Any]:
    return {
        "backup": where,
        "environment": manifest.environment,
        "created": manifest.created.isoformat(),
        "git_commit": manifest.git.get("commit"),
        "groups": {g.name: len(g.packages) for g in manifest.groups},
        "versions": sum(len(g.packages) for g in manifest.groups),
        "pipeline_definition": manifest.pipeline_definition is not None,
        "history_events": len(manifest.history),
        "artifacts": len(manifest.artifacts),
        "serving": (manifest.deployed.get("serving") or {}).get("arn"),
    }
