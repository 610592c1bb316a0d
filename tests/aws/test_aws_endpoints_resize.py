"""Updating an autoscaled endpoint to another instance type: SageMaker refuses UpdateEndpoint
while the variant is a scalable target ("Update endpoints that use auto scaling"), so the deploy
deregisters it (policies first) and registers it again after the update."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from endpoint_kit import approved
from test_aws_endpoints_failed import SETTINGS

from orchestrator.backends.aws import AwsModelRegistry, PollSettings, deploy
from orchestrator.backends.aws.autoscaling import resource_id, scalable_target, scaling_policies
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.settings.stack_outputs import StackOutputs

LARGER = SETTINGS.model_copy(update={"instance_type": "ml.m5.xlarge"})


def test_the_model_refuses_resizing_a_registered_variant(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
) -> None:
    first = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=first.endpoint_config_name)
    variant = dict(config["ProductionVariants"][0], InstanceType="ml.m5.xlarge")
    aws.sagemaker.create_endpoint_config(EndpointConfigName="resized", ProductionVariants=[variant])
    with pytest.raises(ClientError, match="deregister it before changing its instance type"):
        aws.sagemaker.update_endpoint(
            EndpointName=outputs.endpoint_name, EndpointConfigName="resized"
        )


def test_a_deploy_that_changes_the_instance_type_pauses_and_restores_autoscaling(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
) -> None:
    endpoint, variant = outputs.endpoint_name, SETTINGS.variant_name
    deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    lines: list[str] = []
    result = deploy(
        aws, outputs, approved(registry, outputs, 2), LARGER, fast, progress=lines.append
    )
    assert result.action == "updated"
    assert any("paused for the instance type change" in line for line in lines)
    target = scalable_target(aws.autoscaling, endpoint, variant)
    assert target is not None and target["ResourceId"] == resource_id(endpoint, variant)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    assert scaling_policies(aws.autoscaling, endpoint, variant)  # the policy is back too


def test_a_deploy_on_the_same_instance_type_leaves_autoscaling_registered(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
) -> None:
    deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    lines: list[str] = []
    deploy(aws, outputs, approved(registry, outputs, 2), SETTINGS, fast, progress=lines.append)
    assert not any("paused" in line for line in lines)
