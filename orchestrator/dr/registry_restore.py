"""Restoring model package groups: what a restore would do to each group, and doing it.

A group's versions are registered in the backup's order, so in an empty group they get the
same numbers (SageMaker numbers versions itself; a source group with deleted versions is
renumbered, and the report says so). A target group that already has versions is compared
version by version with the backup (after the prefix maps): if its versions are the backup's
first ones, identical, the restore registers only the rest (so a restore is idempotent and
resumable); any other version there is a conflict, refused by name.

Approval status: CreateModelPackage sets ModelApprovalStatus directly (botocore's model has it
in CreateModelPackageInput) but has no ApprovalDescription, so the registration takes the first
status of the recorded history and UpdateModelPackage replays every later change and the
reason. A SageMaker backup's history is its one current entry; a local one's is complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.backends.base import ArtifactStore
from orchestrator.backends.model_registry import ModelPackage, ModelRegistry
from orchestrator.dr.manifest import PackageRecord
from orchestrator.dr.mapping import PrefixMap, apply, apply_all

COMPARED = ("approval_status", "model_data_url", "image_uri", "description", "metrics",
            "metrics_uri", "metadata", "status_reason")  # fmt: skip


@dataclass(frozen=True)
class Maps:
    artifacts: PrefixMap = ()
    images: PrefixMap = ()

    def package(self, package: ModelPackage) -> ModelPackage:
        """``package`` pointed at the mapped artifacts and image."""
        return package.model_copy(
            update={
                "model_data_url": apply(package.model_data_url, self.artifacts),
                "metrics_uri": apply(package.metrics_uri, self.artifacts)
                if package.metrics_uri else None,
                "metadata": apply_all(package.metadata, self.artifacts),
                "image_uri": apply(package.image_uri, self.images),
            }
        )  # fmt: skip


def fields(package: ModelPackage) -> dict[str, Any]:
    """What a restore preserves of a version (ARNs, times and numbers are the target's)."""
    return {name: getattr(package, name) for name in COMPARED}


@dataclass
class GroupPlan:
    source: str
    target: str
    records: list[PackageRecord]
    existing: list[ModelPackage] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def to_register(self) -> list[PackageRecord]:
        return [] if self.conflicts else self.records[len(self.existing) :]


def target_name(group: str, source_base: str, target_base: str) -> str:
    """The group's name in the target stack (same dataset suffix, the target's base)."""
    return target_base + group[len(source_base) :] if group.startswith(source_base) else group


def plan_group(
    registry: ModelRegistry, plan: GroupPlan, maps: Maps, groups_there: set[str]
) -> GroupPlan:
    """Fill ``plan.existing`` and ``plan.conflicts`` from the target registry."""
    if plan.target not in groups_there:
        return plan
    plan.existing = registry.list_versions(plan.target)
    for index, there in enumerate(plan.existing):
        if index >= len(plan.records):
            plan.conflicts.append(f"v{there.version} (not in the backup)")
            continue
        wanted = fields(maps.package(plan.records[index].package))
        differs = sorted(k for k, v in fields(there).items() if wanted[k] != v)
        if differs:
            plan.conflicts.append(f"v{there.version} (differs in {', '.join(differs)})")
    return plan


def missing_artifacts(store: ArtifactStore, plans: list[GroupPlan], maps: Maps) -> list[str]:
    """The mapped model data and evaluation reports the target store lacks."""
    missing: list[str] = []
    for plan in plans:
        for record in plan.to_register:
            package = maps.package(record.package)
            for uri in (package.model_data_url, package.metrics_uri):
                if uri and uri not in missing and not store.exists(uri):
                    missing.append(uri)
    return missing


def register(
    registry: ModelRegistry, group: str, record: PackageRecord, maps: Maps
) -> ModelPackage:
    """Register ``record`` in ``group`` and replay its approval history; the new version."""
    source = maps.package(record.package)
    history = record.approval_history
    restored = registry.register(
        group,
        model_data_url=source.model_data_url,
        image_uri=source.image_uri,
        approval_status=history[0].to_status if history else source.approval_status,  # type: ignore[arg-type]
        description=source.description,
        metrics=dict(source.metrics),
        metrics_uri=source.metrics_uri,
        metadata=dict(source.metadata),
    )
    for change in history[1:]:
        restored = registry.set_status(group, restored.version, change.to_status, change.reason)  # type: ignore[arg-type]
    if restored.approval_status != source.approval_status or (
        source.status_reason and restored.status_reason != source.status_reason
    ):
        restored = registry.set_status(
            group, restored.version, source.approval_status, source.status_reason
        )
    return restored
