"""``evaluation.json``: one document read by three consumers.

- the pipeline's condition and Fail steps (``JsonGet`` on the ``gate`` block's fixed keys:
  ``gate.margin``, ``gate.metric``, ``gate.value``, ``gate.bound``; see :mod:`.gate`), and anyone
  reading ``metrics.<name>.value``: every gate metric in ``schema.METRICS`` that applies to the
  problem type is present;
- the Model Registry (``ModelMetrics.ModelQuality.Statistics``): the section
  ``binary_classification_metrics`` / ``multiclass_classification_metrics`` /
  ``regression_metrics`` in SageMaker's model-quality format (each metric
  ``{"value", "standard_deviation"}``, the confusion matrix as ``{actual: {predicted: count}}``);
- people: the gate verdict against the run's threshold, per-class figures and plot names.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..bundle import ModelBundle
from ..metrics import (
    MODEL_QUALITY_NAMES,
    MODEL_QUALITY_SECTION,
    confusion_counts,
    per_class_report,
    precision_recall_points,
    reported_metric_names,
    roc_points,
    standard_deviations,
)
from ..schema import ProblemType
from ..train.failure import JobFailure
from .gate import Gate, chosen_gate


def evaluation_document(
    bundle: ModelBundle,
    labels: np.ndarray,
    predictions: np.ndarray,
    scalars: dict[str, float],
    plots: list[str],
    gate: Gate | None = None,
) -> dict[str, Any]:
    """The whole report; ``scalars`` is :func:`ml_containers.metrics.scalar_metrics`' result and
    ``gate`` the run's gate (default: the schema's)."""
    problem_type = bundle.problem_type
    classes = bundle.manifest.classes
    gate = gate or chosen_gate(bundle.schema, {})
    document: dict[str, Any] = {
        "version": 0.0,  # the model-quality statistics format version SageMaker writes
        "problem_type": problem_type.value,
        "dataset": {
            "item_count": int(labels.size),
            "evaluation_time": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "model": {
            "model_id": bundle.manifest.model_id,
            "format": bundle.manifest.format,
            "created_at": bundle.manifest.created_at,
        },
        "metrics": {
            name: {"value": _number(scalars[name])} for name in reported_metric_names(problem_type)
        },
        "gate": gate_verdict(gate, scalars),
    }
    if problem_type.is_classification:
        counts = confusion_counts(problem_type, labels, predictions)
        document["classes"] = classes
        document["confusion_matrix"] = {
            "labels": classes,
            "rows": "actual",
            "columns": "predicted",
            "counts": counts.tolist(),
        }
        document["per_class"] = per_class_report(problem_type, labels, predictions, classes)
    document[MODEL_QUALITY_SECTION[problem_type]] = model_quality_section(
        problem_type, labels, predictions, scalars, classes
    )
    document["plots"] = plots
    return document


def gate_verdict(gate: Gate, scalars: dict[str, float]) -> dict[str, Any]:
    """The ``gate`` block; an undefined metric value fails the job (the condition step needs a
    number to compare, and "NaN" would not say why)."""
    value = float(scalars[gate.metric])
    if not math.isfinite(value):
        raise JobFailure(
            f"the gate metric {gate.metric} is undefined on this test split ({value}); choose "
            "another GateMetric or give the test split more rows of each class"
        )
    margin = gate.margin(value)
    return {
        "metric": gate.metric,
        "threshold": gate.threshold,
        "higher_is_better": gate.higher_is_better,
        "bound": gate.bound,
        "value": value,
        "margin": margin,
        "passed": margin >= 0,
    }


def model_quality_section(
    problem_type: ProblemType,
    labels: np.ndarray,
    predictions: np.ndarray,
    scalars: dict[str, float],
    classes: list[str],
) -> dict[str, Any]:
    """SageMaker's model-quality statistics for ``problem_type``."""
    spread = standard_deviations(problem_type, labels, predictions)
    section: dict[str, Any] = {}
    if problem_type.is_classification:
        counts = confusion_counts(problem_type, labels, predictions)
        section["confusion_matrix"] = {
            actual: {predicted: int(counts[i, j]) for j, predicted in enumerate(classes)}
            for i, actual in enumerate(classes)
        }
    for name in MODEL_QUALITY_NAMES[problem_type]:
        section[name] = {"value": _number(scalars[name]), "standard_deviation": spread[name]}
    if problem_type is ProblemType.BINARY:
        positive = predictions[:, 1]
        fpr, tpr = roc_points(labels, positive)
        precision, recall = precision_recall_points(labels, positive)
        section["receiver_operating_characteristic_curve"] = {
            "false_positive_rates": fpr.tolist(),
            "true_positive_rates": tpr.tolist(),
        }
        section["precision_recall_curve"] = {
            "precisions": precision.tolist(),
            "recalls": recall.tolist(),
        }
    return section


def _number(value: float) -> float | str:
    """JSON has no NaN; SageMaker's statistics spell an undefined value as the string "NaN"."""
    return float(value) if math.isfinite(value) else "NaN"
