"""The evaluation figures, as PNG files next to ``evaluation.json``.

Classification gets a confusion matrix (and, for binary, ROC and precision-recall curves);
regression gets a residual plot and predicted-vs-actual; every model gets its permutation feature
importance (``importance.py``). matplotlib runs headless (Agg): a
Processing job has no display.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..metrics import confusion_counts, precision_recall_points, roc_points
from ..schema import ProblemType

DPI = 100
SCATTER_POINTS = 5000  # a scatter of more points shows nothing new and draws slowly


def _scatter_sample(actual: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if actual.size <= SCATTER_POINTS:
        return actual, predicted
    index = np.random.default_rng(0).choice(actual.size, size=SCATTER_POINTS, replace=False)
    return actual[index], predicted[index]


def _save(figure: Figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path.name


def roc_curve_plot(labels: np.ndarray, scores: np.ndarray, auc: float, out: Path) -> str:
    fpr, tpr = roc_points(labels, scores)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot(fpr, tpr, label=f"model (AUC = {auc:.4f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    axes.legend(loc="lower right")
    return _save(figure, out / "roc_curve.png")


def precision_recall_plot(labels: np.ndarray, scores: np.ndarray, out: Path) -> str:
    precision, recall = precision_recall_points(labels, scores)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot(recall, precision)
    axes.axhline(float(np.mean(labels)), linestyle="--", color="grey", label="positive rate")
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall curve", ylim=(0, 1.02))
    axes.legend(loc="lower left")
    return _save(figure, out / "precision_recall_curve.png")


def confusion_matrix_plot(counts: np.ndarray, classes: list[str], out: Path) -> str:
    size = max(4.0, 0.6 * len(classes) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046)
    ticks = np.arange(len(classes))
    axes.set_xticks(ticks, labels=classes, rotation=45, ha="right")
    axes.set_yticks(ticks, labels=classes)
    axes.set(xlabel="predicted class", ylabel="actual class", title="Confusion matrix")
    threshold = counts.max() / 2 if counts.size else 0
    for (row, column), count in np.ndenumerate(counts):
        color = "white" if count > threshold else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=color)
    return _save(figure, out / "confusion_matrix.png")


def residual_plot(actual: np.ndarray, predicted: np.ndarray, out: Path) -> str:
    actual, predicted = _scatter_sample(actual, predicted)
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(predicted, actual - predicted, s=8, alpha=0.6)
    axes.axhline(0.0, color="grey", linestyle="--")
    axes.set(xlabel="predicted", ylabel="actual - predicted", title="Residuals")
    return _save(figure, out / "residuals.png")


def predicted_vs_actual_plot(actual: np.ndarray, predicted: np.ndarray, out: Path) -> str:
    actual, predicted = _scatter_sample(actual, predicted)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.scatter(actual, predicted, s=8, alpha=0.6)
    low = float(min(actual.min(), predicted.min()))
    high = float(max(actual.max(), predicted.max()))
    axes.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect")
    axes.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    axes.legend(loc="upper left")
    return _save(figure, out / "predicted_vs_actual.png")


def feature_importance_plot(importance: dict[str, Any], out: Path, top: int = 20) -> str:
    """The ``top`` features by permutation importance (``importance.py``), with their spread."""
    shown = importance["features"][:top][::-1]  # barh draws bottom-up: most important on top
    figure, axes = plt.subplots(figsize=(6, max(2.5, 0.3 * len(shown) + 1.2)))
    axes.barh(
        [entry["feature"] for entry in shown],
        [entry["mean"] for entry in shown],
        xerr=[entry["std"] for entry in shown],
        color="#4c72b0",
    )
    axes.axvline(0.0, color="grey", linewidth=0.8)
    axes.set(
        xlabel=f"{importance['metric']} worsening when shuffled",
        title="Feature importance (permutation, test split)",
    )
    return _save(figure, out / "feature_importance.png")


def draw_all(
    problem_type: ProblemType,
    labels: np.ndarray,
    predictions: np.ndarray,
    classes: list[str],
    metrics: dict[str, float],
    out: Path,
) -> list[str]:
    """Every figure that fits ``problem_type``; returns the PNG file names written in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    if problem_type is ProblemType.REGRESSION:
        return [
            residual_plot(labels, predictions, out),
            predicted_vs_actual_plot(labels, predictions, out),
        ]
    names = [
        confusion_matrix_plot(confusion_counts(problem_type, labels, predictions), classes, out)
    ]
    if problem_type is ProblemType.BINARY:
        positive = predictions[:, 1]
        names.append(roc_curve_plot(labels, positive, metrics["auc"], out))
        names.append(precision_recall_plot(labels, positive, out))
    return names
