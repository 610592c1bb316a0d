"""Deploy and rollback against moto: the model/config/endpoint requests, the blue/green update,
autoscaling that survives updates, and the rollback path when the update does not take.

moto has no UpdateEndpoint; ``moto_extensions`` adds it with SageMaker's behaviour, including
auto-rollback when an alarm named in AutoRollbackConfiguration is in ALARM in moto's CloudWatch
backend. The tests put an alarm into ALARM with CloudWatch's own SetAlarmState.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from endpoint_kit import IMAGE, approved, put_alarms
from moto_extensions import backend

from orchestrator.backends.aws import (
    AwsModelRegistry,
    AwsRequestError,
    DeploymentFailed,
    DeploymentRolledBack,
    PollSettings,
    WaitTimeout,
    deploy,
    rollback,
)
from orchestrator.backends.aws.autoscaling import DIMENSION, scalable_target, scaling_policies
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.aws.endpoint_requests import PREVIOUS_CONFIG_TAG
from orchestrator.backends.base import Backend
from orchestrator.errors import UserError
from orchestrator.flows.models import resolve
from orchestrator.settings.endpoint import (
    AutoscalingSettings,
    EndpointSettings,
    TrafficShiftSettings,
)
from orchestrator.settings.stack_outputs import StackOutputs


@pytest.fixture
def alarms(aws: AwsClients) -> tuple[str, ...]:
    return put_alarms(aws)


def endpoint(aws: AwsClients, outputs: StackOutputs) -> dict[str, Any]:
    return dict(aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name))


def config_tags(aws: AwsClients, name: str) -> dict[str, str]:
    arn = aws.sagemaker.describe_endpoint_config(EndpointConfigName=name)["EndpointConfigArn"]
    return {t["Key"]: t["Value"] for t in aws.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def test_first_deploy_creates_model_config_endpoint_and_autoscaling(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    package = approved(registry, outputs, 1)
    messages: list[str] = []
    result = deploy(aws, outputs, package, EndpointSettings(), fast, progress=messages.append)
    assert result.action == "created" and result.previous_config_name is None
    assert result.rollback_alarms == alarms  # found by the monitoring module's name prefix

    model = aws.sagemaker.describe_model(ModelName=result.model_name)
    assert model["PrimaryContainer"]["ModelPackageName"] == package.arn
    assert model["ExecutionRoleArn"] == outputs.sagemaker_execution_role_arn
    assert model["VpcConfig"] == {
        "SecurityGroupIds": outputs.sagemaker_security_group_ids,
        "Subnets": outputs.private_subnet_ids,
    }
    assert result.model_name.startswith(f"{outputs.endpoint_name}-v1-")

    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=result.endpoint_config_name)
    assert config["KmsKeyId"] == outputs.data_kms_key_arn
    capture = config["DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == (
        f"s3://{outputs.artifacts_bucket}/data-capture/{outputs.endpoint_name}"
    )
    assert capture["KmsKeyId"] == outputs.artifacts_kms_key_arn and capture["EnableCapture"]
    [variant] = config["ProductionVariants"]
    assert (variant["VariantName"], variant["ModelName"]) == ("AllTraffic", result.model_name)

    described = endpoint(aws, outputs)
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == result.endpoint_config_name

    target = scalable_target(aws.autoscaling, outputs.endpoint_name, "AllTraffic")
    assert target is not None and (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    [policy] = scaling_policies(aws.autoscaling, outputs.endpoint_name, "AllTraffic")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "SageMakerVariantInvocationsPerInstance"
    )
    assert result.autoscaling is not None and not result.autoscaling.was_registered
    assert any("InService" in m for m in messages)


def test_update_is_blue_green_with_alarm_rollback_and_autoscaling_survives(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    settings = EndpointSettings(
        autoscaling=AutoscalingSettings(min_capacity=2, max_capacity=6),
        deployment=TrafficShiftSettings(mode="canary", step_percent=20, wait_interval_seconds=120),
    )
    first = deploy(aws, outputs, approved(registry, outputs, 1), settings, fast)
    second_package = approved(registry, outputs, 2)
    second = deploy(aws, outputs, second_package, settings, fast)

    assert second.action == "updated" and second.previous_config_name == first.endpoint_config_name
    described = endpoint(aws, outputs)
    assert described["EndpointConfigName"] == second.endpoint_config_name
    sent = described["LastDeploymentConfig"]
    assert sent["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 120,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
    }
    assert [a["AlarmName"] for a in sent["AutoRollbackConfiguration"]["Alarms"]] == list(alarms)
    # The previous config is still there (rollback target) and is recorded on the new one.
    assert config_tags(aws, second.endpoint_config_name)[PREVIOUS_CONFIG_TAG] == (
        first.endpoint_config_name
    )
    # The scalable target lives on the variant and survived the update.
    assert second.autoscaling is not None and second.autoscaling.was_registered
    target = scalable_target(aws.autoscaling, outputs.endpoint_name, "AllTraffic")
    assert target is not None and target["ScalableDimension"] == DIMENSION
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    # The new fleet starts at the autoscaling minimum, not below it.
    new_config = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=second.endpoint_config_name
    )
    assert new_config["ProductionVariants"][0]["InitialInstanceCount"] == 2


def test_an_update_that_lands_on_the_old_config_is_reported_as_rolled_back(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    first = deploy(aws, outputs, approved(registry, outputs, 1), EndpointSettings(), fast)
    aws.cloudwatch.set_alarm_state(
        AlarmName=alarms[0], StateValue="ALARM", StateReason="5XX rate above 1%"
    )
    with pytest.raises(DeploymentRolledBack) as caught:
        deploy(aws, outputs, approved(registry, outputs, 2), EndpointSettings(), fast)
    error = caught.value
    assert error.serving_config == first.endpoint_config_name
    assert error.requested_config != first.endpoint_config_name
    assert "rolled back" in str(error) and alarms[0] in str(error) and error.exit_code == 1
    # The old config still serves and still exists; autoscaling is intact.
    assert endpoint(aws, outputs)["EndpointConfigName"] == first.endpoint_config_name
    aws.sagemaker.describe_endpoint_config(EndpointConfigName=first.endpoint_config_name)
    assert scalable_target(aws.autoscaling, outputs.endpoint_name, "AllTraffic") is not None


def test_rollback_returns_to_the_previous_model(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    settings = EndpointSettings()
    first_package = approved(registry, outputs, 1)
    first = deploy(aws, outputs, first_package, settings, fast)
    second = deploy(aws, outputs, approved(registry, outputs, 2), settings, fast)
    result = rollback(aws, outputs, settings, fast)
    assert result.action == "rolled-back"
    assert result.endpoint_config_name == first.endpoint_config_name
    assert result.previous_config_name == second.endpoint_config_name
    assert result.model_name == first.model_name
    assert result.model_package_arn == first_package.arn
    assert endpoint(aws, outputs)["EndpointConfigName"] == first.endpoint_config_name
    assert result.autoscaling is not None and result.autoscaling.was_registered
    # The first deployment has no predecessor: a second rollback says so.
    with pytest.raises(AwsRequestError, match="records no previous config"):
        rollback(aws, outputs, settings, fast)


def test_linear_traffic_shifting(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    settings = EndpointSettings(deployment=TrafficShiftSettings(mode="linear", step_percent=25))
    deploy(aws, outputs, approved(registry, outputs, 1), settings, fast)
    deploy(aws, outputs, approved(registry, outputs, 2), settings, fast)
    routing = endpoint(aws, outputs)["LastDeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing["Type"] == "LINEAR"
    assert routing["LinearStepSize"] == {"Type": "CAPACITY_PERCENT", "Value": 25}


def test_old_configs_beyond_the_kept_ones_are_deleted_with_their_models(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    settings = EndpointSettings(keep_configs=2)
    results = [
        deploy(aws, outputs, approved(registry, outputs, n), settings, fast) for n in (1, 2, 3)
    ]
    assert results[2].deleted_configs == (results[0].endpoint_config_name,)
    names = {
        c["EndpointConfigName"] for c in aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    assert names == {results[1].endpoint_config_name, results[2].endpoint_config_name}
    models = {m["ModelName"] for m in aws.sagemaker.list_models()["Models"]}
    assert results[0].model_name not in models and results[2].model_name in models


def test_only_approved_versions_are_deployed(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    pending = registry.register(
        outputs.model_package_group_name, model_data_url="s3://b/m.tar.gz", image_uri=IMAGE
    )
    with pytest.raises(AwsRequestError, match="PendingManualApproval"):
        deploy(aws, outputs, pending, EndpointSettings(), fast)
    assert aws.sagemaker.list_models()["Models"] == []


def test_a_stack_without_alarms_is_refused_unless_allowed(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    package = approved(registry, outputs, 1)
    with pytest.raises(AwsRequestError, match="monitoring module"):
        deploy(aws, outputs, package, EndpointSettings(), fast)
    result = deploy(aws, outputs, package, EndpointSettings(require_alarms=False), fast)
    assert result.rollback_alarms == ()


def test_an_endpoint_mid_deployment_is_not_updated(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    deploy(aws, outputs, approved(registry, outputs, 1), EndpointSettings(), fast)
    backend().endpoints[outputs.endpoint_name].endpoint_status = "Updating"
    with pytest.raises(AwsRequestError, match="is Updating"):
        deploy(aws, outputs, approved(registry, outputs, 2), EndpointSettings(), fast)


def test_waiting_for_the_endpoint_is_bounded(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    settings = PollSettings(20, 5, sleep=sleep, clock=lambda: now[0])
    package = approved(registry, outputs, 1)

    def creating(**_: Any) -> None:
        # SageMaker takes minutes to create an endpoint; moto's stays Creating here.
        backend().endpoints[outputs.endpoint_name].endpoint_status = "Creating"

    aws.sagemaker.meta.events.register("after-call.sagemaker.CreateEndpoint", creating)
    with pytest.raises(WaitTimeout, match="did not finish within 20 s"):
        deploy(aws, outputs, package, EndpointSettings(), settings)
    assert now[0] == 20


def test_a_version_is_resolved_in_the_stacks_group(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry
) -> None:
    """``--model-package`` names a version of the stack's groups: latest-approved or an ARN."""
    backend = cast(Backend, SimpleNamespace(registry=registry, outputs=outputs))

    def group() -> str:
        return outputs.model_package_group_name

    with pytest.raises(UserError, match="no Approved version"):
        resolve(backend, "latest-approved", group)
    first = approved(registry, outputs, 1)
    second = approved(registry, outputs, 2)
    assert resolve(backend, None, group).arn == second.arn
    assert resolve(backend, first.arn, group).version == 1
    registry.ensure_group("other-models")
    other = registry.register("other-models", model_data_url="s3://b/m.tar.gz", image_uri=IMAGE)
    with pytest.raises(UserError, match="not one of this stack's groups"):
        resolve(backend, other.arn, group)


def test_an_endpoint_that_fails_to_start_is_a_failed_deployment(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    alarms: tuple[str, ...],
    fast: PollSettings,
) -> None:
    def fail(**_: Any) -> None:
        # What SageMaker reports when the container never answers /ping.
        created = backend().endpoints[outputs.endpoint_name]
        created.endpoint_status = "Failed"
        created.failure_reason = (
            "The primary container for production variant AllTraffic did not pass the ping "
            "health check."
        )

    aws.sagemaker.meta.events.register("after-call.sagemaker.CreateEndpoint", fail)
    with pytest.raises(DeploymentFailed, match=r"ended Failed .*ping health check") as caught:
        deploy(aws, outputs, approved(registry, outputs, 1), EndpointSettings(), fast)
    assert not isinstance(caught.value, DeploymentRolledBack) and caught.value.exit_code == 1
    assert scalable_target(aws.autoscaling, outputs.endpoint_name, "AllTraffic") is None
