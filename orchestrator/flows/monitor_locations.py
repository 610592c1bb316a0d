"""Where monitoring's files are, without the statistics: a version's drift baseline and the
folder of ``monitor run``'s reports.

Apart from ``flows/monitor.py`` because two other places need only these answers: ``promote``
copies the baseline and the UI lists the reports. They read them here rather than depending on
the drift flow (capture reading, the statistics) or writing the paths out again.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.backends.model_registry import ModelPackage
from orchestrator.pipeline import names
from orchestrator.settings.environment import EnvironmentConfig


def baseline_uris(package: ModelPackage) -> list[str | None]:
    """Where the package's baseline is: the URIs the local registry keeps, else beside the
    ModelQuality report (evaluation.json), where Evaluate wrote them, which is where a SageMaker
    package's DriftCheckBaselines point too."""
    folder = package.metrics_uri.rpartition("/")[0] if package.metrics_uri else None
    return [
        package.metadata.get(key) or (f"{folder}/{file}" if folder else None)
        for key, file in (
            (names.BASELINE_STATISTICS_KEY, names.BASELINE_STATISTICS_FILE),
            (names.BASELINE_CONSTRAINTS_KEY, names.BASELINE_CONSTRAINTS_FILE),
        )
    ]


def reports_dir(config: EnvironmentConfig) -> Path:
    """Where reports go without ``--report``: one ``<UTC stamp>`` folder per run (the UI lists
    them from here)."""
    return config.state_dir / "monitoring" / config.name
