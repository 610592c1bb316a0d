"""Deploy a registered model version to the SageMaker endpoint, blue/green, and roll back.

A deploy never edits what is serving. It creates a new Model (the model package, in the stack's
VPC) and a new EndpointConfig (the same variant name, data capture of requests and responses to
the artifacts bucket under its KMS key, the data key on the instance volumes), then creates the
endpoint or updates it with a blue/green DeploymentConfig: canary or linear traffic shifting and
auto-rollback on the endpoint's CloudWatch alarms (the monitoring module names them
``<endpoint>-...``). SageMaker keeps the old fleet until the new one has taken all traffic and
the alarms stayed quiet.

After the update the endpoint is *verified*: it must be InService on the config this deploy
created. If SageMaker rolled back (an alarm fired, instances failed), the endpoint is on the
previous config, which is why no previous config or model is deleted before that check: the
caller gets :class:`DeploymentRolledBack` naming what serves and why. Each config records its
predecessor in a tag, so :func:`rollback` can return to the previous model with the same
safeguards. Autoscaling (target tracking on invocations per instance) is registered on the
variant and checked after every create, update and rollback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError

from orchestrator.backends.aws.autoscaling import AutoscalingState, ensure_autoscaling
from orchestrator.backends.aws.clients import AwsClients, aws_errors, error_code, error_message
from orchestrator.backends.aws.endpoint_requests import (
    PREVIOUS_CONFIG_TAG,
    deployment_config,
    endpoint_config_request,
)
from orchestrator.backends.aws.errors import AwsRequestError, DeploymentFailed, DeploymentRolledBack
from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG, create_model
from orchestrator.backends.aws.names import stamped_name
from orchestrator.backends.aws.pagination import list_all
from orchestrator.backends.base import DeploymentResult
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings, poll
from orchestrator.settings.endpoint import MAX_ROLLBACK_ALARMS, EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

TRANSITIONAL_STATUSES = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")

Progress = Callable[[str], None]


# -- lookups --------------------------------------------------------------------------------------
def describe_endpoint(sagemaker: Any, endpoint_name: str) -> dict[str, Any] | None:
    """DescribeEndpoint's answer, or None when the endpoint does not exist."""
    with aws_errors(f"describe endpoint {endpoint_name}"):
        try:
            return dict(sagemaker.describe_endpoint(EndpointName=endpoint_name))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise


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


# -- deploy ---------------------------------------------------------------------------------------
def deploy(
    clients: AwsClients,
    outputs: StackOutputs,
    package: ModelPackage,
    settings: EndpointSettings,
    poll_settings: PollSettings,
    *,
    progress: Progress | None = None,
) -> DeploymentResult:
    """Serve ``package`` on the stack's endpoint (create, or blue/green update), verified.
    :class:`DeploymentRolledBack`: the update ended on the previous config, which keeps serving;
    :class:`DeploymentFailed`: the endpoint ended Failed; :class:`WaitTimeout`: still updating."""
    say = progress or (lambda _message: None)
    if package.approval_status != "Approved":
        raise AwsRequestError(
            f"version {package.version} of {package.group} is {package.approval_status}; only "
            "Approved versions are deployed: approve it first (`orchestrator models approve`)"
        )
    sm = clients.sagemaker
    endpoint = outputs.endpoint_name
    current = describe_endpoint(sm, endpoint)
    if current is not None and current["EndpointStatus"] != "InService":
        raise AwsRequestError(
            f"endpoint {endpoint} is {current['EndpointStatus']}; wait until it is InService "
            "(another deployment may be running) and deploy again"
        )
    alarms = rollback_alarms(clients.cloudwatch, outputs, settings)
    previous_config = str(current["EndpointConfigName"]) if current else None
    model_name = config_name = stamped_name(endpoint, package.version)
    say(f"creating model {model_name} for {package.arn}")
    create_model(sm, outputs, package, model_name, network_isolation=settings.network_isolation)
    request = endpoint_config_request(
        outputs,
        settings,
        config_name=config_name,
        model_name=model_name,
        instance_count=_instance_count(current, settings),
        previous_config=previous_config,
        package_arn=package.arn,
    )
    say(f"creating endpoint config {config_name}")
    with aws_errors(f"create endpoint config {config_name}"):
        sm.create_endpoint_config(**request)
    action = _switch(sm, outputs, settings, config_name, previous_config, alarms, say)
    scaling = _settle(clients, outputs, settings, config_name, previous_config, poll_settings, say)
    deleted = prune_endpoint_configs(
        sm, endpoint, keep=settings.keep_configs, protect=(config_name, previous_config)
    )
    return DeploymentResult(
        endpoint_name=endpoint,
        action=action,
        endpoint_config_name=config_name,
        previous_config_name=previous_config,
        model_name=model_name,
        model_package_arn=package.arn,
        rollback_alarms=alarms,
        autoscaling=scaling,
        deleted_configs=deleted,
    )


def _switch(
    sagemaker: Any,
    outputs: StackOutputs,
    settings: EndpointSettings,
    config_name: str,
    previous_config: str | None,
    alarms: tuple[str, ...],
    say: Progress,
) -> Literal["created", "updated"]:
    """Create the endpoint on ``config_name``, or move the live one to it blue/green."""
    endpoint = outputs.endpoint_name
    if previous_config is None:
        say(f"creating endpoint {endpoint}")
        with aws_errors(f"create endpoint {endpoint}"):
            sagemaker.create_endpoint(
                EndpointName=endpoint,
                EndpointConfigName=config_name,
                Tags=[
                    {"Key": "project", "Value": outputs.project},
                    {"Key": "environment", "Value": outputs.environment},
                ],
            )
        return "created"
    say(
        f"updating endpoint {endpoint}: {previous_config} -> {config_name} "
        f"({settings.deployment.mode}, rollback on {len(alarms)} alarms)"
    )
    _update(sagemaker, endpoint, config_name, settings, alarms)
    return "updated"


def rollback(
    clients: AwsClients,
    outputs: StackOutputs,
    settings: EndpointSettings,
    poll_settings: PollSettings,
    *,
    progress: Progress | None = None,
) -> DeploymentResult:
    """Return the endpoint to the config (and model) it served before the current one.

    Uses the same blue/green update and verification as :func:`deploy`. Repeated rollbacks walk
    further back while the older configs exist (``keep_configs`` of them are kept).
    """
    say = progress or (lambda _message: None)
    sm = clients.sagemaker
    endpoint = outputs.endpoint_name
    current = describe_endpoint(sm, endpoint)
    if current is None:
        raise AwsRequestError(f"endpoint {endpoint} does not exist; there is nothing to roll back")
    if current["EndpointStatus"] != "InService":
        raise AwsRequestError(
            f"endpoint {endpoint} is {current['EndpointStatus']}; wait until it is InService "
            "and roll back again"
        )
    serving = str(current["EndpointConfigName"])
    tags = _config_tags(sm, serving)
    target = tags.get(PREVIOUS_CONFIG_TAG)
    if not target:
        raise AwsRequestError(
            f"endpoint config {serving} records no previous config (it was the first "
            "deployment, or was not made by the orchestrator); deploy a version instead"
        )
    target_config = _describe_config(sm, target)
    if target_config is None:
        raise AwsRequestError(
            f"the previous endpoint config {target} was deleted; deploy the version you want "
            "with `orchestrator deploy --model-package ARN`"
        )
    alarms = rollback_alarms(clients.cloudwatch, outputs, settings)
    say(f"rolling endpoint {endpoint} back: {serving} -> {target}")
    _update(sm, endpoint, target, settings, alarms)
    scaling = _settle(clients, outputs, settings, target, serving, poll_settings, say)
    target_tags = _config_tags(sm, target)
    return DeploymentResult(
        endpoint_name=endpoint,
        action="rolled-back",
        endpoint_config_name=target,
        previous_config_name=serving,
        model_name=str(target_config["ProductionVariants"][0].get("ModelName", "")),
        model_package_arn=target_tags.get(MODEL_PACKAGE_TAG),
        rollback_alarms=alarms,
        autoscaling=scaling,
    )


def prune_endpoint_configs(
    sagemaker: Any, endpoint_name: str, *, keep: int, protect: tuple[str | None, ...] = ()
) -> tuple[str, ...]:
    """Delete this endpoint's configs (and their models) beyond the ``keep`` newest.

    Only configs named ``<endpoint>-...`` are considered, and the ``protect``ed ones (serving
    and previous) never go, so :func:`rollback` keeps a target.
    """
    prefix = f"{endpoint_name}-"
    with aws_errors(f"list the endpoint configs of {endpoint_name}"):
        configs = list_all(
            sagemaker,
            "list_endpoint_configs",
            "EndpointConfigs",
            NameContains=prefix,
            SortBy="CreationTime",
            SortOrder="Descending",
        )
    ours = sorted(
        (c for c in configs if str(c["EndpointConfigName"]).startswith(prefix)),
        key=lambda c: c["CreationTime"],
        reverse=True,
    )
    deleted = []
    for config in ours[keep:]:
        name = str(config["EndpointConfigName"])
        if name in protect:
            continue
        described = _describe_config(sagemaker, name)
        with aws_errors(f"delete endpoint config {name}"):
            sagemaker.delete_endpoint_config(EndpointConfigName=name)
            for variant in (described or {}).get("ProductionVariants", []):
                model = variant.get("ModelName")
                if model and str(model).startswith(prefix):
                    try:
                        sagemaker.delete_model(ModelName=model)
                    except ClientError as exc:
                        if not _is_missing(exc):
                            raise
        deleted.append(name)
    return tuple(deleted)


# -- internals ------------------------------------------------------------------------------------
def _update(
    sagemaker: Any,
    endpoint: str,
    config_name: str,
    settings: EndpointSettings,
    alarms: tuple[str, ...],
) -> None:
    with aws_errors(f"update endpoint {endpoint} to {config_name}"):
        sagemaker.update_endpoint(
            EndpointName=endpoint,
            EndpointConfigName=config_name,
            DeploymentConfig=deployment_config(settings, alarms),
            RetainAllVariantProperties=False,
        )


def _settle(
    clients: AwsClients,
    outputs: StackOutputs,
    settings: EndpointSettings,
    wanted_config: str,
    previous_config: str | None,
    poll_settings: PollSettings,
    say: Progress,
) -> AutoscalingState | None:
    """Wait for the endpoint, verify it serves ``wanted_config``, then (re)apply autoscaling."""
    endpoint = outputs.endpoint_name
    final = poll(
        lambda: describe_endpoint(clients.sagemaker, endpoint) or {"EndpointStatus": "Missing"},
        lambda state: state["EndpointStatus"] not in TRANSITIONAL_STATUSES,
        poll_settings,
        what=f"the deployment of {wanted_config} to endpoint {endpoint}",
        on_state=lambda state: say(f"endpoint {endpoint}: {state['EndpointStatus']}"),
        on_timeout=(
            "SageMaker continues (and rolls back by itself if an alarm fires); check it with "
            "DescribeEndpoint before deploying again"
        ),
    )
    status = str(final["EndpointStatus"])
    serving = final.get("EndpointConfigName")
    reason = str(final.get("FailureReason") or "no reason given")
    if status == "InService" and serving != wanted_config:
        # The old fleet serves; make sure it keeps scaling before reporting the rollback.
        _apply_autoscaling(clients, outputs, settings, say)
        raise DeploymentRolledBack(
            f"endpoint {endpoint} did not switch to {wanted_config}: SageMaker rolled back and "
            f"it still serves {serving} ({reason}). The previous config {previous_config} and "
            f"the new {wanted_config} are kept for inspection; fix the model and deploy again",
            serving_config=str(serving) if serving else None,
            requested_config=wanted_config,
        )
    if status != "InService":
        logs = outputs.log_group_names.get("endpoint", "/aws/sagemaker/Endpoints")
        raise DeploymentFailed(
            f"endpoint {endpoint} ended {status} deploying {wanted_config}: {reason}. The "
            f"previous config {previous_config or '(none)'} is kept; see the endpoint's "
            f"CloudWatch logs ({logs})"
        )
    say(f"endpoint {endpoint} is InService on {wanted_config}")
    return _apply_autoscaling(clients, outputs, settings, say)


def _apply_autoscaling(
    clients: AwsClients, outputs: StackOutputs, settings: EndpointSettings, say: Progress
) -> AutoscalingState | None:
    if settings.autoscaling is None:
        return None
    state = ensure_autoscaling(
        clients.autoscaling, outputs.endpoint_name, settings.variant_name, settings.autoscaling
    )
    say(
        f"autoscaling {state.resource_id}: {state.min_capacity}-{state.max_capacity} instances "
        f"({'kept' if state.was_registered else 'registered'})"
    )
    return state


def _instance_count(current: dict[str, Any] | None, settings: EndpointSettings) -> int:
    """Start the new fleet as large as the autoscaled one serving now (within the bounds), so
    a blue/green switch under load does not fall back to the initial count."""
    count = settings.initial_instance_count
    for variant in (current or {}).get("ProductionVariants", []):
        if variant.get("VariantName") == settings.variant_name:
            count = max(count, int(variant.get("CurrentInstanceCount") or 0))
    if settings.autoscaling is not None:
        count = min(
            max(count, settings.autoscaling.min_capacity), settings.autoscaling.max_capacity
        )
    return count


def _describe_config(sagemaker: Any, name: str) -> dict[str, Any] | None:
    with aws_errors(f"describe endpoint config {name}"):
        try:
            return dict(sagemaker.describe_endpoint_config(EndpointConfigName=name))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise


def _config_tags(sagemaker: Any, name: str) -> dict[str, str]:
    described = _describe_config(sagemaker, name)
    if described is None:
        raise AwsRequestError(f"endpoint config {name} does not exist")
    with aws_errors(f"read the tags of endpoint config {name}"):
        tags = list_all(sagemaker, "list_tags", "Tags", ResourceArn=described["EndpointConfigArn"])
    return {str(t["Key"]): str(t["Value"]) for t in tags}


def _is_missing(exc: ClientError) -> bool:
    code = error_code(exc)
    return code == "ResourceNotFound" or (
        code == "ValidationException" and "could not find" in error_message(exc).lower()
    )
