"""An endpoint SageMaker left ``Failed`` (only DeleteEndpoint is allowed on it): the moto
extension that models it, a deploy that stops quoting FailureReason without changing anything,
and ``recreate_failed`` deleting the endpoint and creating it with the requested version."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from endpoint_kit import approved
from moto_extensions import fail_endpoint

from orchestrator.backends.aws import AwsModelRegistry, PollSettings, deploy
from orchestrator.backends.aws.autoscaling import scalable_target, scaling_policies
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.aws.endpoint_failed import EndpointInFailedState
from orchestrator.errors import OperationFailed
from orchestrator.settings.endpoint import AutoscalingSettings, EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

REASON = "Image size 12 GB is greater than supported size 10 GB for ml.m5.large."
SETTINGS = EndpointSettings(
    require_alarms=False, autoscaling=AutoscalingSettings(min_capacity=1, max_capacity=3)
)


@pytest.fixture
def failed(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> str:
    """The endpoint deployed with v1 (autoscaling registered), then Failed; its config."""
    first = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    fail_endpoint(outputs.endpoint_name, REASON)
    return first.endpoint_config_name


def snapshot(aws: AwsClients) -> dict[str, Any]:
    sm = aws.sagemaker
    return {
        "models": sorted(m["ModelName"] for m in sm.list_models()["Models"]),
        "configs": sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()[
            "EndpointConfigs"
        ]),
        "endpoints": [(e["EndpointName"], e["EndpointStatus"]) for e in sm.list_endpoints()[
            "Endpoints"
        ]],
        "targets": aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
            "ScalableTargets"
        ],
    }  # fmt: skip


def test_update_endpoint_on_a_failed_endpoint_is_refused_and_only_delete_works(
    aws: AwsClients, outputs: StackOutputs, failed: str
) -> None:
    sm, name = aws.sagemaker, outputs.endpoint_name
    described = sm.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", REASON)
    with pytest.raises(ClientError) as refused:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=failed)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "DeleteEndpoint is the only operation" in str(refused.value)
    with pytest.raises(ClientError, match="Cannot create already existing endpoint"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=failed)

    sm.delete_endpoint(EndpointName=name)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Deleting"
    with pytest.raises(ClientError, match="Could not find endpoint") as gone:
        sm.describe_endpoint(EndpointName=name)
    assert gone.value.response["Error"]["Code"] == "ValidationException"
    # Application Auto Scaling deregisters the deleted endpoint's variants.
    assert scalable_target(aws.autoscaling, name, SETTINGS.variant_name) is None


def test_deploy_onto_a_failed_endpoint_stops_naming_the_reason_and_the_flag_and_changes_nothing(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    failed: str,
    fast: PollSettings,
) -> None:
    second = approved(registry, outputs, 2)
    before = snapshot(aws)
    with pytest.raises(EndpointInFailedState) as stopped:
        deploy(aws, outputs, second, SETTINGS, fast)
    assert isinstance(stopped.value, OperationFailed)  # exit 1
    message = str(stopped.value)
    assert outputs.endpoint_name in message and REASON in message
    assert "--recreate-failed" in message
    assert stopped.value.failure_reason == REASON
    assert snapshot(aws) == before
    assert aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)[
        "EndpointConfigName"
    ] == failed  # fmt: skip


def test_recreate_failed_deletes_the_endpoint_and_creates_it_in_service_on_the_new_version(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    failed: str,
    fast: PollSettings,
) -> None:
    second = approved(registry, outputs, 2)
    messages: list[str] = []
    result = deploy(
        aws, outputs, second, SETTINGS, fast, progress=messages.append, recreate_failed=True
    )
    name = outputs.endpoint_name
    assert any(REASON in m and "deleting it" in m for m in messages)
    assert f"endpoint {name}: Deleting" in messages
    assert f"endpoint {name} is deleted" in messages
    assert result.action == "recreated" and result.previous_config_name is None
    endpoint = aws.sagemaker.describe_endpoint(EndpointName=name)
    assert endpoint["EndpointStatus"] == "InService" and "FailureReason" not in endpoint
    assert endpoint["EndpointConfigName"] == result.endpoint_config_name != failed
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=result.endpoint_config_name)
    model = aws.sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["ModelPackageName"] == second.arn
    target = scalable_target(aws.autoscaling, name, SETTINGS.variant_name)
    assert target is not None and (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    assert scaling_policies(aws.autoscaling, name, SETTINGS.variant_name)
    assert result.autoscaling is not None and not result.autoscaling.was_registered
