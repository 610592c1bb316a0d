"""Rollback alarms during the bake of a blue/green update, as SageMaker's deployment guardrails
document them (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html):
an alarm that trips while the update is in progress rolls it back to the old config, which keeps
serving; once the bake is over the old fleet is gone and an alarm changes nothing; an alarm
already in ALARM when the update starts is in ALARM during the bake, so it rolls back too.

``moto_extensions/update_endpoint.py`` reads the alarms at every DescribeEndpoint while the
update runs; the tests trip one from a client hook when the deploy first sees ``Updating``.
"""

from __future__ import annotations

from typing import Any

import pytest
from endpoint_kit import ALARMS, approved, put_alarms
from moto_extensions import set_alarm_state

from orchestrator.backends.aws import AwsModelRegistry, DeploymentRolledBack, PollSettings, deploy
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.settings.endpoint import EndpointSettings, TrafficShiftSettings
from orchestrator.settings.stack_outputs import StackOutputs

SETTINGS = EndpointSettings(
    deployment=TrafficShiftSettings(mode="canary", step_percent=20, wait_interval_seconds=300)
)


@pytest.fixture
def registry(registry: AwsModelRegistry, aws: AwsClients) -> AwsModelRegistry:
    """The registry, and the rollback alarms on 60-second periods (the monitoring module's)."""
    put_alarms(aws, period=60, periods=1)
    return registry


def trip_when_updating(aws: AwsClients, alarm: str) -> list[str]:
    """Put ``alarm`` into ALARM the first time a DescribeEndpoint answers ``Updating``: the
    new fleet takes traffic and misbehaves mid-bake. Returns the statuses the hook saw."""
    seen: list[str] = []

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        status = str(parsed.get("EndpointStatus"))
        if status == "Updating" and "Updating" not in seen:
            set_alarm_state(alarm, "ALARM", "5XX errors on the new fleet")
        seen.append(status)

    aws.sagemaker.meta.events.register("after-call.sagemaker.DescribeEndpoint", hook)
    return seen


def test_an_alarm_that_trips_mid_bake_rolls_back_naming_the_alarm_old_config_serving(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    first = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    seen = trip_when_updating(aws, ALARMS[1])
    with pytest.raises(DeploymentRolledBack) as caught:
        deploy(aws, outputs, approved(registry, outputs, 2), SETTINGS, fast)
    error = caught.value
    assert "Updating" in seen  # the alarm tripped after the update had started
    assert error.serving_config == first.endpoint_config_name and error.exit_code == 1
    assert f"rollback alarms in ALARM: {ALARMS[1]}" in str(error)
    described = aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == first.endpoint_config_name


def test_an_alarm_that_trips_after_the_bake_does_not_roll_back(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    second = deploy(aws, outputs, approved(registry, outputs, 2), SETTINGS, fast)
    set_alarm_state(ALARMS[0], "ALARM", "5XX errors an hour later")
    for _ in range(3):  # time passes: the old fleet was terminated when the bake ended
        described = aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == second.endpoint_config_name
        assert not described.get("FailureReason")


def test_an_alarm_already_in_alarm_when_the_update_starts_rolls_it_back(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    """The guardrails page: an alarm the *old* fleet trips during the deployment ends it."""
    first = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    set_alarm_state(ALARMS[0], "ALARM", "5XX errors on the old fleet")
    with pytest.raises(DeploymentRolledBack, match=f"rollback alarms in ALARM: {ALARMS[0]}"):
        deploy(aws, outputs, approved(registry, outputs, 2), SETTINGS, fast)
    described = aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert described["EndpointConfigName"] == first.endpoint_config_name
