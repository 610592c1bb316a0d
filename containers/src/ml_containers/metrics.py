"""Model-quality metrics per problem type, computed once and reported in two shapes.

``evaluate`` needs each metric twice: under the gate names of ``schema.METRICS`` (what the
pipeline's condition step reads as ``metrics.<name>.value``) and under the names SageMaker's
model-quality statistics use (what the Model Registry shows). Both come from
:func:`scalar_metrics`, so the two shapes can never disagree.

Inputs are what :meth:`ml_containers.bundle.ModelBundle.predict` returns: class probabilities of
shape (rows, classes) for classification, values of shape (rows,) for regression. Binary
decisions use a 0.5 threshold on the probability of class index 1 (the schema's second class).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics as skm

from .schema import METRICS, ProblemType

BINARY_THRESHOLD = 0.5
# SageMaker Model Monitor's convention: the standard deviation of a metric over 5 random 80%
# samples, reported only from 200 rows up (below that it writes the string "NaN").
STD_SAMPLES = 5
STD_FRACTION = 0.8
STD_MIN_ROWS = 200
CURVE_POINTS = 200  # enough for a smooth plot, small enough for a readable JSON file

MODEL_QUALITY_SECTION: dict[ProblemType, str] = {
    ProblemType.BINARY: "binary_classification_metrics",
    ProblemType.MULTICLASS: "multiclass_classification_metrics",
    ProblemType.REGRESSION: "regression_metrics",
}

# Names in SageMaker's model-quality statistics, per problem type.
MODEL_QUALITY_NAMES: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.BINARY: (
        "recall",
        "precision",
        "accuracy",
        "recall_best_constant_classifier",
        "precision_best_constant_classifier",
        "accuracy_best_constant_classifier",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "auc",
        "f0_5",
        "f1",
        "f2",
        "f0_5_best_constant_classifier",
        "f1_best_constant_classifier",
        "f2_best_constant_classifier",
    ),
    ProblemType.MULTICLASS: (
        "accuracy",
        "weighted_recall",
        "weighted_precision",
        "weighted_f0_5",
        "weighted_f1",
        "weighted_f2",
        "accuracy_best_constant_classifier",
        "weighted_recall_best_constant_classifier",
        "weighted_precision_best_constant_classifier",
        "weighted_f0_5_best_constant_classifier",
        "weighted_f1_best_constant_classifier",
        "weighted_f2_best_constant_classifier",
    ),
    ProblemType.REGRESSION: ("mae", "mse", "rmse", "r2"),
}

# Reported under ``metrics`` besides the gate metrics: useful, and cheap to keep in one place.
EXTRA_REPORTED: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.BINARY: (),
    ProblemType.MULTICLASS: ("weighted_precision", "weighted_recall"),
    ProblemType.REGRESSION: ("mse",),
}


class MetricsError(ValueError):
    """The labels cannot support a metric (e.g. AUC on a test split with one class)."""


def gate_metric_names(problem_type: ProblemType) -> list[str]:
    """Every ``schema.METRICS`` name that applies to ``problem_type``, in its declared order."""
    return [name for name, spec in METRICS.items() if problem_type in spec.problem_types]


def reported_metric_names(problem_type: ProblemType) -> list[str]:
    return [*gate_metric_names(problem_type), *EXTRA_REPORTED[problem_type]]


def predicted_classes(problem_type: ProblemType, probabilities: np.ndarray) -> np.ndarray:
    if problem_type is ProblemType.BINARY:
        return (probabilities[:, 1] >= BINARY_THRESHOLD).astype(np.int64)
    return np.argmax(probabilities, axis=1).astype(np.int64)


def scalar_metrics(
    problem_type: ProblemType, labels: np.ndarray, predictions: np.ndarray
) -> dict[str, float]:
    """Every scalar metric for ``problem_type`` (gate names and SageMaker names alike)."""
    if problem_type is ProblemType.REGRESSION:
        return _regression(labels.astype(np.float64), predictions.astype(np.float64))
    return _classification(problem_type, labels.astype(np.int64), predictions)


def _regression(labels: np.ndarray, values: np.ndarray) -> dict[str, float]:
    mse = float(skm.mean_squared_error(labels, values))
    return {
        "mae": float(skm.mean_absolute_error(labels, values)),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": float(skm.r2_score(labels, values)) if labels.size > 1 else float("nan"),
    }


def _classification(
    problem_type: ProblemType, labels: np.ndarray, probabilities: np.ndarray
) -> dict[str, float]:
    k = probabilities.shape[1]
    classes = np.arange(k)
    predicted = predicted_classes(problem_type, probabilities)
    majority = np.full_like(labels, np.bincount(labels, minlength=k).argmax())
    clipped = np.clip(probabilities, 1e-15, 1 - 1e-15)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)

    def averaged(average: str, guess: np.ndarray) -> dict[str, float]:
        kwargs: dict[str, Any] = {"average": average, "zero_division": 0}
        if average != "binary":  # binary scores class index 1; other averages span all classes
            kwargs["labels"] = classes
        return {
            "precision": float(skm.precision_score(labels, guess, **kwargs)),
            "recall": float(skm.recall_score(labels, guess, **kwargs)),
            "f0_5": float(skm.fbeta_score(labels, guess, beta=0.5, **kwargs)),
            "f1": float(skm.f1_score(labels, guess, **kwargs)),
            "f2": float(skm.fbeta_score(labels, guess, beta=2.0, **kwargs)),
        }

    weighted = averaged("weighted", predicted)
    result = {
        "accuracy": float(skm.accuracy_score(labels, predicted)),
        "macro_f1": averaged("macro", predicted)["f1"],
        "weighted_f1": weighted["f1"],
        "log_loss": float(skm.log_loss(labels, clipped, labels=classes)),
        "accuracy_best_constant_classifier": float(skm.accuracy_score(labels, majority)),
    }
    if problem_type is ProblemType.MULTICLASS:
        best_constant = averaged("weighted", majority)
        for name in ("precision", "recall", "f0_5", "f1", "f2"):
            result[f"weighted_{name}"] = weighted[name]
            result[f"weighted_{name}_best_constant_classifier"] = best_constant[name]
        return result
    if np.unique(labels).size < 2:
        raise MetricsError(
            "the test split holds a single class, so AUC and recall are undefined; the test "
            "split needs rows of both classes"
        )
    binary = averaged("binary", predicted)
    # For precision/recall/F the best constant classifier always predicts the positive class.
    always_positive = averaged("binary", np.ones_like(labels))
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted, labels=classes).ravel()
    result |= {
        "auc": float(skm.roc_auc_score(labels, probabilities[:, 1])),
        **binary,
        **{f"{k}_best_constant_classifier": v for k, v in always_positive.items()},
        "true_positive_rate": _ratio(tp, tp + fn),
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, fn + tp),
    }
    return result


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def standard_deviations(
    problem_type: ProblemType, labels: np.ndarray, predictions: np.ndarray, seed: int = 0
) -> dict[str, float | str]:
    """Model Monitor's spread estimate for each scalar metric, ``"NaN"`` when too few rows."""
    names = list(scalar_metrics(problem_type, labels, predictions))
    if labels.size < STD_MIN_ROWS:
        return dict.fromkeys(names, "NaN")
    rng = np.random.default_rng(seed)
    size = int(labels.size * STD_FRACTION)
    samples: list[dict[str, float]] = []
    for _ in range(STD_SAMPLES):
        index = rng.choice(labels.size, size=size, replace=False)
        try:
            samples.append(scalar_metrics(problem_type, labels[index], predictions[index]))
        except (MetricsError, ValueError):
            continue
    result: dict[str, float | str] = {}
    for name in names:
        values = [s[name] for s in samples if math.isfinite(s.get(name, math.nan))]
        result[name] = float(np.std(values)) if len(values) >= 2 else "NaN"
    return result


def confusion_counts(
    problem_type: ProblemType, labels: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """(classes, classes) counts: rows are actual classes, columns predicted classes."""
    k = probabilities.shape[1]
    predicted = predicted_classes(problem_type, probabilities)
    return skm.confusion_matrix(labels.astype(np.int64), predicted, labels=np.arange(k))


def per_class_report(
    problem_type: ProblemType, labels: np.ndarray, probabilities: np.ndarray, classes: list[str]
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class (one-vs-rest)."""
    predicted = predicted_classes(problem_type, probabilities)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        labels.astype(np.int64), predicted, labels=np.arange(len(classes)), zero_division=0
    )
    return {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(classes)
    }


def roc_points(labels: np.ndarray, positive_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = skm.roc_curve(labels, positive_scores)
    return _thin(fpr), _thin(tpr)


def precision_recall_points(
    labels: np.ndarray, positive_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    precision, recall, _ = skm.precision_recall_curve(labels, positive_scores)
    return _thin(precision), _thin(recall)


def _thin(values: np.ndarray) -> np.ndarray:
    """At most ``CURVE_POINTS`` evenly spaced points, always keeping both ends."""
    if values.size <= CURVE_POINTS:
        return values
    index = np.unique(np.linspace(0, values.size - 1, CURVE_POINTS).round().astype(np.int64))
    return values[index]
