"""A RegisterModel step: a CreateModelPackage request handed to a model registry backend.

The request is already resolved; this reads what the registry protocol needs from it: the group,
the container image and model data URL, the approval status, the evaluation metrics (the
``metrics.<name>.value`` scalars of the ModelQuality Statistics document, the same file the
pipeline's quality gate read) and metadata (CustomerMetadataProperties plus the lineage in
MetadataProperties). The registry is injected, so the runner works with the SQLite registry
locally and any other backend satisfying ``orchestrator.backends.model_registry.ModelRegistry``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import ArtifactError, DefinitionError, StepFailed
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.model_registry import ModelRegistry, RegistryError
from orchestrator.pipeline import names


def run_register_model(
    step: str, arguments: dict[str, Any], *, store: ArtifactStore, registry: ModelRegistry
) -> StepOutcome:
    group = arguments.get("ModelPackageGroupName")
    containers = (arguments.get("InferenceSpecification") or {}).get("Containers") or []
    if not group or not containers:
        raise DefinitionError(
            f"step {step!r} needs ModelPackageGroupName and InferenceSpecification.Containers"
        )
    container = containers[0]
    model_data_url = container.get("ModelDataUrl")
    if not model_data_url or not store.exists(str(model_data_url)):
        raise StepFailed(
            f"ValidationException: the model data {model_data_url!r} does not exist in the "
            "artifact store; check the step's ModelDataUrl reference"
        )
    statistics = ((arguments.get("ModelMetrics") or {}).get("ModelQuality") or {}).get(
        "Statistics"
    ) or {}
    metrics_uri = statistics.get("S3Uri")
    metrics = _read_metrics(store, str(metrics_uri)) if metrics_uri else {}
    metadata = {
        **{str(k): str(v) for k, v in (arguments.get("MetadataProperties") or {}).items()},
        **{str(k): str(v) for k, v in (arguments.get("CustomerMetadataProperties") or {}).items()},
        **_drift_baseline(arguments),
    }
    try:
        # As CreateModelPackage does, register only into a group that exists: the group is
        # created before the pipeline runs (flows.pipeline.upsert), never by this step.
        package = registry.register(
            str(group),
            model_data_url=str(model_data_url),
            image_uri=str(container.get("Image") or ""),
            approval_status=arguments.get("ModelApprovalStatus") or "PendingManualApproval",
            description=str(arguments.get("ModelPackageDescription") or ""),
            metrics=metrics,
            metrics_uri=str(metrics_uri) if metrics_uri else None,
            metadata=metadata,
        )
    except RegistryError as exc:
        raise StepFailed(f"the model registry refused the registration: {exc}") from None

    properties = {
        **arguments,
        "ModelPackageArn": package.arn,
        "ModelPackageGroupName": package.group,
        "ModelPackageVersion": package.version,
        "ModelApprovalStatus": package.approval_status,
        "ModelPackageStatus": "Completed",
        "CreationTime": package.created_at.isoformat(),
    }
    return StepOutcome(properties)


def _read_metrics(store: ArtifactStore, uri: str) -> dict[str, float]:
    """``{name: value}`` for every numeric ``metrics.<name>.value`` in the evaluation report."""
    try:
        report = json.loads(store.read_bytes(uri))
    except (ArtifactError, ValueError) as exc:
        raise StepFailed(f"cannot read the model metrics at {uri}: {exc}") from None
    section = report.get("metrics") if isinstance(report, dict) else None
    if not isinstance(section, dict):
        raise StepFailed(f"the model metrics at {uri} have no top-level 'metrics' object")
    metrics = {}
    for name, entry in section.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            metrics[str(name)] = float(value)
    return metrics


def _drift_baseline(arguments: dict[str, Any]) -> dict[str, str]:
    """DriftCheckBaselines.ModelDataQuality's two URIs, kept in the package's metadata (the
    local registry has no column for them) so ``monitor run`` finds a version's baseline."""
    quality = (arguments.get("DriftCheckBaselines") or {}).get("ModelDataQuality") or {}
    found = {}
    for part, key in (
        ("Statistics", names.BASELINE_STATISTICS_KEY),
        ("Constraints", names.BASELINE_CONSTRAINTS_KEY),
    ):
        uri = (quality.get(part) or {}).get("S3Uri")
        if uri:
            found[key] = str(uri)
    return found
