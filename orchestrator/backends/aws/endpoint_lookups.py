"""What AWS says about the endpoint right now (read-only): the endpoint, its configs and their
tags, and the CloudWatch alarms that roll a deployment back.

Each lookup answers None for a resource that does not exist, so deploy and rollback can tell
"first deployment" and "previous config deleted" apart from a refused request.
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.clients import aws_errors, describe_or_none
from orchestrator.backends.aws.errors import AwsRequestError, AwsTransientError
from orchestrator.backends.aws.pagination import list_all
from orchestrator.settings.endpoint import MAX_ROLLBACK_ALARMS, EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs


def describe_endpoint(sagemaker: Any, endpoint_name: str) -> dict[str, Any] | None:
    """DescribeEndpoint's answer, or None when the endpoint does not exist."""
    return describe_or_none(
        f"describe endpoint {endpoint_name}",
        lambda: sagemaker.describe_endpoint(EndpointName=endpoint_name),
    )


def describe_endpoint_config(sagemaker: Any, name: str) -> dict[str, Any] | None:
    """DescribeEndpointConfig's answer, or None when the config does not exist."""
    return describe_or_none(
        f"describe endpoint config {name}",
        lambda: sagemaker.describe_endpoint_config(EndpointConfigName=name),
    )


def endpoint_config_tags(sagemaker: Any, name: str) -> dict[str, str]:
    """The tags of an endpoint config (its model package and predecessor are recorded there)."""
    described = describe_endpoint_config(sagemaker, name)
    if described is None:
        raise AwsRequestError(f"endpoint config {name} does not exist")
    with aws_errors(f"read the tags of endpoint config {name}"):
        tags = list_all(sagemaker, "list_tags", "Tags", ResourceArn=described["EndpointConfigArn"])
    return {str(t["Key"]): str(t["Value"]) for t in tags}


def rollback_alarms(
    cloudwatch: Any, outputs: StackOutputs, settings: EndpointSettings
) -> tuple[str, ...]:
    """The alarms that roll a deployment back: the configured ones, else ``<endpoint>-*``."""
    if settings.alarm_names is not None:
        return tuple(settings.alarm_names)
    prefix = f"{outputs.endpoint_name}-"
    with aws_errors(f"find the CloudWatch alarms of {outputs.endpoint_name}"):
        alarms = list_all(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=prefix)
    names = tuple(sorted(a["AlarmName"] for a in alarms))
    if not names and settings.require_alarms:
        raise AwsRequestError(
            f"no CloudWatch alarm is named {prefix}*, so a bad deployment could not roll back "
            "automatically; apply the Terraform monitoring module, list the alarms in the "
            "endpoint settings (alarm_names), or set require_alarms to false"
        )
    if len(names) > MAX_ROLLBACK_ALARMS:
        raise AwsRequestError(
            f"{len(names)} alarms are named {prefix}* but SageMaker rolls back on at most "
            f"{MAX_ROLLBACK_ALARMS}; choose them with alarm_names in the endpoint settings"
        )
    return names


def firing_alarms(cloudwatch: Any, alarms: tuple[str, ...]) -> tuple[str, ...]:
    """Which of the rollback ``alarms`` are in ALARM now, to name the likely cause of a rollback
    (SageMaker's FailureReason may not name it). Best effort: a failed look names none."""
    if not alarms:
        return ()
    try:
        with aws_errors(f"read the state of the rollback alarms {', '.join(alarms)}"):
            found = list_all(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNames=list(alarms))
    except (AwsRequestError, AwsTransientError):
        return ()
    return tuple(sorted(a["AlarmName"] for a in found if a.get("StateValue") == "ALARM"))
