"""A deploy against SageMaker's eventual consistency and throttling, outside any wait.

CreateEndpoint/UpdateEndpoint right after CreateEndpointConfig (and CreateEndpointConfig right
after CreateModel) may not find what was just created; the API reference asks callers to retry
(``moto_extensions/eventual_consistency.py`` models it). Exactly that answer is retried with
bounded backoff; any other ValidationException is the user's request error at once. A throttle
beyond botocore's retries on the deploy's first, read-only look is retried the same way instead
of ending the command.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from endpoint_kit import approved
from moto import mock_aws
from moto_extensions import (
    REGION,
    InjectError,
    lag_new_endpoint_configs,
    lag_new_models,
    sagemaker_patched,
    shared_session,
)

from orchestrator.backends.aws import AwsModelRegistry, AwsRequestError, PollSettings, deploy
from orchestrator.backends.aws.clients import AwsClients, connect
from orchestrator.backends.aws.errors import AwsTransientError, NotYetVisible
from orchestrator.errors import UserError
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

SETTINGS = EndpointSettings(require_alarms=False)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def fast(sleeps: list[float]) -> PollSettings:
    """Waits that record their sleeps instead of sleeping (interval 5 s: backoff 1, 2, 4, 5)."""
    return PollSettings(timeout_seconds=60, interval_seconds=5, sleep=sleeps.append)


def serving(aws: AwsClients, outputs: StackOutputs) -> str:
    described = aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    assert described["EndpointStatus"] == "InService"
    return str(described["EndpointConfigName"])


def test_create_endpoint_that_cannot_see_its_new_config_yet_is_retried_until_it_does(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
    sleeps: list[float],
) -> None:
    lag_new_endpoint_configs(2)
    creates = InjectError(aws.sagemaker, "CreateEndpoint", times=0)  # counts requests only
    result = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    assert result.action == "created" and creates.calls == 3
    assert sleeps[:2] == [1.0, 2.0]  # exponential backoff before the poll's own intervals
    assert serving(aws, outputs) == result.endpoint_config_name


def test_update_endpoint_that_cannot_see_its_new_config_yet_is_retried_until_it_does(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    lag_new_endpoint_configs(1)
    updates = InjectError(aws.sagemaker, "UpdateEndpoint", times=0)
    second = deploy(aws, outputs, approved(registry, outputs, 2), SETTINGS, fast)
    assert second.action == "updated" and updates.calls == 2
    assert serving(aws, outputs) == second.endpoint_config_name


def test_create_endpoint_config_that_cannot_see_its_new_model_yet_is_retried_until_it_does(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    lag_new_models(2)
    creates = InjectError(aws.sagemaker, "CreateEndpointConfig", times=0)
    result = deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    assert result.action == "created" and creates.calls == 3


def test_a_validation_error_that_is_not_eventual_consistency_is_not_retried(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
    sleeps: list[float],
) -> None:
    refused = InjectError(aws.sagemaker, "CreateEndpoint", code="ValidationException")
    with pytest.raises(AwsRequestError, match="ValidationException") as caught:
        deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    assert refused.calls == 1 and sleeps == []
    assert caught.value.exit_code == 2 and not isinstance(caught.value, AwsTransientError)


def test_a_config_sagemaker_never_sees_ends_the_deploy_after_bounded_retries_exit_1(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
    sleeps: list[float],
) -> None:
    lag_new_endpoint_configs(100)
    creates = InjectError(aws.sagemaker, "CreateEndpoint", times=0)
    with pytest.raises(NotYetVisible) as caught:
        deploy(aws, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    error = caught.value
    assert creates.calls == 5 and sleeps == [1.0, 2.0, 4.0, 5.0]  # bounded: 12 s in all
    assert "Could not find endpoint configuration" in str(error)
    assert "after 5 attempts over 12 s" in str(error) and "run the command again" in str(error)
    assert error.exit_code == 1 and not isinstance(error, UserError)
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


@pytest.fixture
def unretried(aws_credentials: None) -> Iterator[AwsClients]:
    """Clients with no botocore retries left (max_attempts=1): a throttle reaches our code."""
    with mock_aws(), sagemaker_patched():
        yield connect(REGION, session=shared_session(), max_attempts=1)


def test_a_throttled_first_describe_endpoint_is_retried_not_fatal(
    unretried: AwsClients, outputs: StackOutputs, fast: PollSettings, sleeps: list[float]
) -> None:
    registry = AwsModelRegistry(unretried.sagemaker)
    registry.ensure_group(outputs.model_package_group_name)
    throttle = InjectError(unretried.sagemaker, "DescribeEndpoint", times=2)
    result = deploy(unretried, outputs, approved(registry, outputs, 1), SETTINGS, fast)
    assert result.action == "created"
    assert throttle.calls >= 3 and sleeps[:2] == [1.0, 2.0]


def test_a_throttle_that_lasts_ends_the_deploy_before_anything_changes_exit_1(
    unretried: AwsClients, outputs: StackOutputs, fast: PollSettings, sleeps: list[float]
) -> None:
    registry = AwsModelRegistry(unretried.sagemaker)
    registry.ensure_group(outputs.model_package_group_name)
    package = approved(registry, outputs, 1)
    throttle = InjectError(unretried.sagemaker, "DescribeEndpoint", times=100)
    with pytest.raises(AwsTransientError, match="ThrottlingException") as caught:
        deploy(unretried, outputs, package, SETTINGS, fast)
    assert throttle.calls == 5 and len(sleeps) == 4
    assert caught.value.exit_code == 1 and not isinstance(caught.value, UserError)
    assert unretried.sagemaker.list_models()["Models"] == []
