"""Traffic shifting within SageMaker's documented limits (API reference, TrafficRoutingConfig):
a canary of at most 50% of the fleet, linear steps of 10-50%; refused in the environment file,
not at UpdateEndpoint."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orchestrator.settings.endpoint import TrafficShiftSettings


@pytest.mark.parametrize(
    ("mode", "percent", "message"),
    [
        ("canary", 51, "at most 50%"),
        ("canary", 100, "at most 50%"),
        ("linear", 9, "10-50%"),
        ("linear", 60, "10-50%"),
    ],
)
def test_shifts_sagemaker_refuses_are_refused_here(mode: str, percent: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TrafficShiftSettings(mode=mode, step_percent=percent)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "percent"),
    [("canary", 1), ("canary", 50), ("linear", 10), ("linear", 50), ("all_at_once", 100)],
)
def test_shifts_within_the_limits_are_accepted(mode: str, percent: int) -> None:
    TrafficShiftSettings(mode=mode, step_percent=percent)  # type: ignore[arg-type]
