"""The Models pages' data: versions per package group, one version (metrics, the evaluation
report's plots, lineage, approval audit), two versions side by side, and approve/reject through
the CLI's own flow (:func:`orchestrator.flows.models.set_status`: same validation, same registry
call, same record)."""

from __future__ import annotations

import json
import posixpath
from typing import Any

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ApprovalStatus, ModelPackage, RegistryError
from orchestrator.flows.models import dataset_group, list_versions, set_status, stack_groups
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui.errors import NotFound

PLOT_TITLES = {
    "roc_curve.png": "ROC curve",
    "precision_recall_curve.png": "Precision-recall curve",
    "confusion_matrix.png": "Confusion matrix",
    "residuals.png": "Residuals",
    "predicted_vs_actual.png": "Predicted vs actual",
    "feature_importance.png": "Feature importance",
}
IMPORTANCE_ROWS = 10  # the table's top features; the plot shows 20


def group_of(backend: Backend, config: EnvironmentConfig, dataset: str | None) -> str:
    return dataset_group(backend, config, dataset)()


def _when(package: ModelPackage) -> str:
    return package.created_at.strftime("%Y-%m-%d %H:%M:%S")


def models_page(backend: Backend, config: EnvironmentConfig, dataset: str | None) -> dict[str, Any]:
    """Every version of the dataset's group, as ``models list`` shows them."""
    group = group_of(backend, config, dataset)
    live = backend.endpoints.serving()
    versions = [
        {
            "version": p.version,
            "status": p.approval_status,
            "serving": p.arn == live,
            "created": _when(p),
            "metrics": {k: round(v, 4) for k, v in sorted(p.metrics.items())},
            "status_reason": p.status_reason,
        }
        for p in list_versions(backend, group)
    ]
    others = [g for g in stack_groups(backend) if g != group]
    return {
        "environment": config.name,
        "dataset": dataset,
        "group": group,
        "versions": versions,
        "other_groups": others,
    }


def package(backend: Backend, group: str, version: int) -> ModelPackage:
    if group not in backend.registry.list_groups():
        raise NotFound(f"model package group {group} has no versions yet")
    try:
        return backend.registry.get(group, version)
    except RegistryError as exc:
        raise NotFound(str(exc)) from None


def evaluation(backend: Backend, found: ModelPackage) -> dict[str, Any]:
    """The evaluation report registered with the version (ModelMetrics' statistics URI)."""
    if not found.metrics_uri:
        return {"error": "this version was registered without an evaluation report"}
    try:
        report = json.loads(backend.artifacts.read_bytes(found.metrics_uri))
    except Exception as exc:
        return {"error": f"the evaluation report {found.metrics_uri} cannot be read: {exc}"}
    return report if isinstance(report, dict) else {"error": "the report is not a JSON object"}


def _lineage(backend: Backend, found: ModelPackage) -> dict[str, Any]:
    meta = found.metadata
    execution_arn = meta.get("GeneratedBy", "")
    execution = execution_arn.rsplit("/", 1)[-1] if backend.name == "local" else execution_arn
    return {
        "git_commit": meta.get("CommitId") or meta.get("code_version"),
        "repository": meta.get("Repository"),
        "data": meta.get("input_data"),
        "data_version": meta.get("input_data_version"),
        "image": found.image_uri,
        "execution": execution or None,
        "model_data": found.model_data_url,
        "dataset": meta.get("schema_name"),
    }


def _audit(backend: Backend, found: ModelPackage) -> list[dict[str, Any]]:
    """How the approval status came to be: every change where the registry keeps them (local),
    else the current status, its reason and when it last changed (SageMaker)."""
    registry: Any = backend.registry
    if hasattr(registry, "status_history"):
        return [
            {"from": row["from"], "to": row["to"], "reason": row["reason"], "at": row["changed_at"]}
            for row in registry.status_history(found.group, found.version)
        ]
    changed = found.status_changed_at or found.created_at
    return [
        {
            "from": None,
            "to": found.approval_status,
            "reason": found.status_reason,
            "at": changed.strftime("%Y-%m-%d %H:%M:%S"),
        }
    ]


def version_page(
    backend: Backend, config: EnvironmentConfig, dataset: str | None, version: int
) -> dict[str, Any]:
    group = group_of(backend, config, dataset)
    found = package(backend, group, version)
    report = evaluation(backend, found)
    plots = [
        {
            "name": name,
            "title": PLOT_TITLES.get(name, name),
            "url": f"/models/{version}/plots/{name}",
        }
        for name in report.get("plots", [])
        if isinstance(name, str)
    ]
    return {
        "environment": config.name,
        "dataset": dataset,
        "group": group,
        "version": found.version,
        "arn": found.arn,
        "status": found.approval_status,
        "status_reason": found.status_reason,
        "serving": found.arn == backend.endpoints.serving(),
        "created": _when(found),
        "description": found.description,
        "metrics": {k: round(v, 6) for k, v in sorted(found.metrics.items())},
        "gate": report.get("gate"),
        "evaluation_error": report.get("error"),
        "evaluation_uri": found.metrics_uri,
        "plots": plots,
        "feature_importance": _importance(report),
        "lineage": _lineage(backend, found),
        "audit": _audit(backend, found),
    }


def _importance(report: dict[str, Any]) -> dict[str, Any] | None:
    """The report's permutation importance, top features first; None for a version evaluated
    before the Evaluate step recorded it (the page says so)."""
    block = report.get("feature_importance")
    if not isinstance(block, dict) or not isinstance(block.get("features"), list):
        return None
    return {
        "metric": block.get("metric"),
        "rows": block.get("rows"),
        "repeats": block.get("repeats"),
        "features": block["features"][:IMPORTANCE_ROWS],
        "count": len(block["features"]),
    }


def plot(
    backend: Backend, config: EnvironmentConfig, dataset: str | None, version: int, name: str
) -> bytes:
    """One PNG the evaluation report lists, read from beside the report; only listed names."""
    found = package(backend, group_of(backend, config, dataset), version)
    report = evaluation(backend, found)
    if name not in report.get("plots", []) or not name.endswith(".png") or "/" in name:
        raise NotFound(f"version {version}'s evaluation report has no plot {name!r}")
    uri = posixpath.join(posixpath.dirname(str(found.metrics_uri)), name)
    try:
        return backend.artifacts.read_bytes(uri)
    except Exception as exc:
        raise NotFound(f"plot {uri} cannot be read: {exc}") from None


def change_status(
    backend: Backend,
    config: EnvironmentConfig,
    dataset: str | None,
    version: int,
    status: ApprovalStatus,
    reason: str,
) -> dict[str, Any]:
    """Approve or reject exactly as ``orchestrator models approve|reject`` does."""
    group = group_of(backend, config, dataset)
    package(backend, group, version)  # an unknown version is a 404, not a 400
    changed = set_status(backend, group, config.name, version, status, reason)
    return changed.model_dump(mode="json")


def compare_page(
    backend: Backend, config: EnvironmentConfig, dataset: str | None, a: int, b: int
) -> dict[str, Any]:
    """Two versions side by side: every metric of either, with b - a."""
    left = version_page(backend, config, dataset, a)
    right = version_page(backend, config, dataset, b)
    names = sorted({*left["metrics"], *right["metrics"]})
    rows = []
    for name in names:
        x, y = left["metrics"].get(name), right["metrics"].get(name)
        difference = round(y - x, 6) if x is not None and y is not None else None
        rows.append({"metric": name, "a": x, "b": y, "difference": difference})
    return {
        "environment": config.name,
        "dataset": dataset,
        "group": left["group"],
        "a": left,
        "b": right,
        "metrics": rows,
    }
