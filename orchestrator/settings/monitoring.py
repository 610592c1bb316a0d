"""The environment file's ``monitoring:`` section: when a feature counts as drifted.

Both ``orchestrator monitor run`` and the ``monitor`` container (a scheduled Model Monitor job
on AWS) judge drift with these values: the CLI hands them over directly, the schedule through
the container's ``MONITOR_*`` environment variables (:func:`monitor_environment`), so one file
decides for both (docs/monitoring.md).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from orchestrator.settings.instance_types import ProcessingInstanceType
from orchestrator.settings.strict import StrictModel


class ScheduleResources(StrictModel):
    """The instance of the endpoint's hourly Model Monitor job on AWS (``monitoring.schedule``;
    botocore's ``MonitoringClusterConfig``). The type is checked against botocore's
    ``ProcessingInstanceType`` enum, the list CreateMonitoringSchedule accepts."""

    instance_type: ProcessingInstanceType = Field(
        "ml.m5.large", description="Instance type of the drift job (a processing type)."
    )
    instance_count: int = Field(
        1, description="Instances of the drift job: 1 (the monitor container is one host)."
    )
    volume_size_gb: int = Field(
        20, ge=1, le=16384, description="Storage volume of the drift job, GB (botocore: 1-16384)."
    )

    @field_validator("instance_count")
    @classmethod
    def _one_instance(cls, value: int) -> int:
        # MonitoringClusterConfig allows 1-100, but the monitor container judges the whole
        # window on one host: SageMaker copies the capture to every instance (FullyReplicated),
        # so a second instance would only repeat the same analysis and bill for it.
        if value != 1:
            raise ValueError(
                f"{value} is not allowed: the monitor container analyses the window on one "
                "instance, so 1 is the only value; remove the key or set 1 (pick a larger "
                "monitoring.schedule.instance_type for more memory)"
            )
        return value


class MonitoringSettings(StrictModel):
    """Drift thresholds. A feature drifts when its PSI is at least ``psi_threshold`` and its
    test (KS for numbers, chi-squared for categories) is significant at its alpha."""

    psi_threshold: float = Field(
        0.2, gt=0, le=10, description="Population stability index at which a feature drifts."
    )
    ks_alpha: float = Field(
        0.01, gt=0, lt=1, description="Significance level of the KS test (numeric features)."
    )
    chi2_alpha: float = Field(
        0.01, gt=0, lt=1, description="Significance level of the chi-squared test (categories)."
    )
    min_rows: int = Field(
        100, ge=1, le=10_000_000, description="Fewer captured rows: no verdict (exit 2 locally)."
    )
    bins: int = Field(10, ge=2, le=100, description="PSI bins of numeric features (quantiles).")
    completeness_drop: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="A feature's share of missing values may exceed the baseline's by this much "
        "(the baseline's training rows were imputed, so it sees none).",
    )
    default_window_hours: int = Field(
        24, ge=1, le=24 * 90, description="The window `monitor run` reads without --since."
    )
    schedule: ScheduleResources = Field(
        ScheduleResources(), description="The AWS drift schedule's job instance and volume."
    )


def monitor_environment(settings: MonitoringSettings) -> dict[str, str]:
    """The ``monitor`` container's threshold variables, for a monitoring schedule's
    ``Environment``."""
    return {
        "MONITOR_PSI_THRESHOLD": repr(settings.psi_threshold),
        "MONITOR_KS_ALPHA": repr(settings.ks_alpha),
        "MONITOR_CHI2_ALPHA": repr(settings.chi2_alpha),
        "MONITOR_MIN_ROWS": str(settings.min_rows),
        "MONITOR_BINS": str(settings.bins),
        "MONITOR_COMPLETENESS_DROP": repr(settings.completeness_drop),
    }
