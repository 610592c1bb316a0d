"""``orchestrator restore``: re-create an environment's model registry and deployment history
from a backup (``flows/backup.py``), in an empty account or region (docs/dr.md).

Order: read and check the whole backup; plan every group (``dr/registry_restore.py``: a group
holding other versions than the backup's is refused, exit 2, before anything changes); copy the
backed-up artifacts the target lacks (``--with-artifacts`` backups); check every mapped model
and evaluation report exists (exit 1 naming the missing ones); then create the groups, register
the versions in order with their approval history, and put back the deployment-history events
the target lacks. ``dry_run`` stops after the checks and lists what would change.

The pipeline itself is not re-created here: its definition names the stack's roles, buckets
and keys, which differ in another account or region, so it is rebuilt from the code at the
commit the manifest records (``orchestrator pipeline upsert``); the backed-up definition is
what to compare it with.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend
from orchestrator.dr import location
from orchestrator.dr.manifest import Manifest, read_manifest, read_package
from orchestrator.dr.mapping import apply
from orchestrator.dr.registry_restore import (
    GroupPlan,
    Maps,
    missing_artifacts,
    plan_group,
    register,
    target_name,
)
from orchestrator.errors import OperationFailed, UserError
from orchestrator.flows import history
from orchestrator.settings.environment import EnvironmentConfig

Progress = Callable[[str], None]


def plans(backend: Backend, manifest: Manifest, folder: Path, maps: Maps) -> list[GroupPlan]:
    there = set(backend.registry.list_groups())
    base = manifest.source.model_package_group_name
    found = []
    for entry in manifest.groups:
        records = [read_package(folder, entry.name, name) for name in entry.packages]
        plan = GroupPlan(entry.name, target_name(entry.name, base,
                         backend.outputs.model_package_group_name), records)  # fmt: skip
        found.append(plan_group(backend.registry, plan, maps, there))
    refused = [p for p in found if p.conflicts]
    if refused:
        raise UserError(
            "the target registry already holds versions the backup does not: "
            + "; ".join(f"group {p.target}: {', '.join(p.conflicts)}" for p in refused)
            + ". Restore into an empty group (another account or region), or remove those "
            "versions first; versions identical to the backup's are kept and skipped"
        )
    return found


def artifact_copies(backend: Backend, manifest: Manifest, maps: Maps) -> dict[str, str]:
    """Backed-up artifacts the target lacks: target URI -> file or folder in the backup."""
    wanted = {apply(uri, maps.artifacts): relative for uri, relative in manifest.artifacts.items()}
    return {uri: rel for uri, rel in sorted(wanted.items()) if not backend.artifacts.exists(uri)}


def _check(manifest: Manifest, config: EnvironmentConfig, where: str) -> None:
    if manifest.environment != config.name:
        raise UserError(
            f"{where} is a backup of environment {manifest.environment}, not {config.name}; "
            f"restore it with --env {manifest.environment} (its stack in the new account or "
            "region)"
        )


def restore(
    backend: Backend, config: EnvironmentConfig, source: str, maps: Maps, progress: Progress,
    dry_run: bool = False,
) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="restore-") as scratch:
        folder = location.fetch(source, backend.artifacts, Path(scratch))
        manifest = read_manifest(folder, source)
        _check(manifest, config, source)
        groups = plans(backend, manifest, folder, maps)
        copies = artifact_copies(backend, manifest, maps)
        missing = [
            uri
            for uri in missing_artifacts(backend.artifacts, groups, maps)
            if not any(uri == c or (c.endswith("/") and uri.startswith(c)) for c in copies)
        ]
        if missing:
            raise OperationFailed(
                f"{len(missing)} objects the restored versions point at are missing: "
                f"{', '.join(missing)}. Replicate the artifacts bucket (or back up with "
                "--with-artifacts) and map it with --artifacts-map OLD_PREFIX=NEW_PREFIX"
            )
        prefix = history.history_prefix(backend)
        events = [n for n in manifest.history if not backend.artifacts.exists(prefix + n)]
        report = _report(manifest, source, groups, copies, events, dry_run)
        if not dry_run:
            _apply(backend, folder, groups, copies, events, maps, progress)
            report["restored"] = _restored(backend, groups)
    return report


def _apply(
    backend: Backend, folder: Path, groups: list[GroupPlan], copies: dict[str, str],
    events: list[str], maps: Maps, progress: Progress,
) -> None:  # fmt: skip
    for uri, relative in copies.items():
        backend.artifacts.publish(folder / relative, uri)
        progress(f"artifact {uri} restored from the backup")
    for plan in groups:
        dataset = plan.target.removeprefix(backend.outputs.model_package_group_name).lstrip("-")
        backend.registry.ensure_group(
            plan.target, f"{backend.outputs.project} {backend.outputs.environment}: models "
            f"trained on dataset {dataset or '(stack group)'}, restored from a backup",
            tags={"project": backend.outputs.project, "environment": backend.outputs.environment},
        )  # fmt: skip
        for record in plan.to_register:
            made = register(backend.registry, plan.target, record, maps)
            progress(f"{record.package.arn} -> {made.arn} ({made.approval_status})")
    prefix = history.history_prefix(backend)
    for name in events:
        backend.artifacts.publish(folder / "history" / name, prefix + name)
    if events:
        progress(f"deployment history: {len(events)} events restored under {prefix}")


def _report(
    manifest: Manifest, where: str, groups: list[GroupPlan], copies: dict[str, str],
    events: list[str], dry_run: bool,
) -> dict[str, Any]:  # fmt: skip
    return {
        "backup": where,
        "dry_run": dry_run,
        "backup_created": manifest.created.isoformat(),
        "git_commit": manifest.git.get("commit"),
        "groups": [
            {
                "group": p.target,
                "source_group": p.source,
                "kept": [f"v{e.version}" for e in p.existing],
                "register": [r.package.arn for r in p.to_register],
            }
            for p in groups
        ],
        "artifacts": sorted(copies),
        "history_events": events,
        "pipeline": {
            "definition_in_backup": manifest.pipeline_definition,
            "recreate_with": f"git checkout {manifest.git.get('commit')} && orchestrator "
            f"pipeline upsert --env {manifest.environment}",
        },
    }


def _restored(backend: Backend, groups: list[GroupPlan]) -> dict[str, str]:
    """Backed-up ARN -> restored ARN, by registration order."""
    mapping: dict[str, str] = {}
    for plan in groups:
        now = backend.registry.list_versions(plan.target)
        for record, package in zip(plan.records, now, strict=False):
            mapping[record.package.arn] = package.arn
    return mapping
