"""Moving the endpoint to a config and checking that it took.

:func:`switch_to` creates the endpoint or updates it blue/green (traffic shifting plus
auto-rollback on the alarms); :func:`settle` waits until SageMaker is done, then *verifies*: the
endpoint must be InService on the config asked for. When SageMaker rolled back, it still serves
the previous config, which is reported as :class:`DeploymentRolledBack` (after making sure the
old fleet keeps autoscaling), never as success, naming the rollback alarms then in ALARM.

CreateEndpoint and UpdateEndpoint name a config (and it a model) created seconds before, and
SageMaker reads those eventually consistently: "When you call CreateEndpoint, a load call is
made to DynamoDB to verify that your endpoint configuration exists [...] If the dependent
entities are not yet in DynamoDB, this causes a validation error. If you repeat your read
request after a short time, the response should return the latest data. So retry logic is
recommended" (API reference, CreateEndpointConfig,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html).
:func:`when_visible` retries exactly that answer, a ValidationException "Could not find
<kind> ..." naming the resource this deploy created, with bounded backoff; any other refusal
stays a request error (exit 2). terraform-provider-aws retries CreateEndpoint only for IAM
role propagation (``internal/service/sagemaker/endpoint.go``, ``resourceEndpointCreate``), which
this deploy does not need: the stack's roles exist long before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError

from orchestrator.backends.aws.autoscaling import AutoscalingState, ensure_autoscaling
from orchestrator.backends.aws.clients import AwsClients, aws_errors, error_code, error_message
from orchestrator.backends.aws.endpoint_lookups import describe_endpoint, firing_alarms
from orchestrator.backends.aws.endpoint_requests import deployment_config
from orchestrator.backends.aws.errors import DeploymentFailed, DeploymentRolledBack, NotYetVisible
from orchestrator.backends.base import Progress
from orchestrator.backends.polling import Backoff, PollSettings, poll, retry_transient
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

# DescribeEndpoint's EndpointStatus values during which SageMaker is still working.
TRANSITIONAL_STATUSES = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


def switch_to(
    sagemaker: Any,
    outputs: StackOutputs,
    settings: EndpointSettings,
    config_name: str,
    previous_config: str | None,
    alarms: tuple[str, ...],
    say: Progress,
    backoff: Backoff,
) -> Literal["created", "updated"]:
    """Create the endpoint on ``config_name``, or move the live one to it blue/green."""
    endpoint = outputs.endpoint_name
    if previous_config is None:
        say(f"creating endpoint {endpoint}")
        when_visible(
            f"create endpoint {endpoint}",
            ("endpoint configuration", config_name),
            lambda: sagemaker.create_endpoint(
                EndpointName=endpoint,
                EndpointConfigName=config_name,
                Tags=[
                    {"Key": "project", "Value": outputs.project},
                    {"Key": "environment", "Value": outputs.environment},
                ],
            ),
            backoff,
        )
        return "created"
    say(
        f"updating endpoint {endpoint}: {previous_config} -> {config_name} "
        f"({settings.deployment.mode}, rollback on {len(alarms)} alarms)"
    )
    update_endpoint(sagemaker, endpoint, config_name, settings, alarms, backoff)
    return "updated"


def update_endpoint(
    sagemaker: Any,
    endpoint: str,
    config_name: str,
    settings: EndpointSettings,
    alarms: tuple[str, ...],
    backoff: Backoff,
) -> None:
    """UpdateEndpoint with the blue/green DeploymentConfig built from the settings."""
    when_visible(
        f"update endpoint {endpoint} to {config_name}",
        ("endpoint configuration", config_name),
        lambda: sagemaker.update_endpoint(
            EndpointName=endpoint,
            EndpointConfigName=config_name,
            DeploymentConfig=deployment_config(settings, alarms),
            RetainAllVariantProperties=False,
        ),
        backoff,
    )


def when_visible(
    action: str, created: tuple[str, str], call: Callable[[], Any], backoff: Backoff
) -> Any:
    """``call()`` (doing ``action``), retried with ``backoff`` while SageMaker answers that
    ``created`` (a kind such as "endpoint configuration" and the name this deploy just gave
    it) cannot be found; :class:`NotYetVisible` (exit 1) when that lasts every attempt."""
    kind, name = created

    def attempt() -> Any:
        with aws_errors(action):
            try:
                return call()
            except ClientError as exc:
                said = error_message(exc)
                lowered = said.lower()
                if error_code(exc) == "ValidationException" and (
                    f"could not find {kind}" in lowered and name.lower() in lowered
                ):
                    raise NotYetVisible(f"cannot {action}: SageMaker answered {said!r}") from None
                raise

    try:
        return retry_transient(attempt, backoff, retry_on=(NotYetVisible,))
    except NotYetVisible as exc:
        raise NotYetVisible(
            f"{exc} after {backoff.attempts} attempts over {backoff.total_delay_seconds:g} s, "
            f"although this deploy created {kind} {name}: SageMaker has not caught up with its "
            "own write (its reads are eventually consistent); run the command again"
        ) from None


def settle(
    clients: AwsClients,
    outputs: StackOutputs,
    settings: EndpointSettings,
    wanted_config: str,
    previous_config: str | None,
    poll_settings: PollSettings,
    say: Progress,
    alarms: tuple[str, ...] = (),
) -> AutoscalingState | None:
    """Wait for the endpoint, verify it serves ``wanted_config``, then (re)apply autoscaling;
    a rollback names which of the rollback ``alarms`` are in ALARM."""
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
        apply_autoscaling(clients, outputs, settings, say)
        firing = firing_alarms(clients.cloudwatch, alarms)
        cause = f"; rollback alarms in ALARM: {', '.join(firing)}" if firing else ""
        raise DeploymentRolledBack(
            f"endpoint {endpoint} did not switch to {wanted_config}: SageMaker rolled back and "
            f"it still serves {serving} ({reason}{cause}). The previous config "
            f"{previous_config} and the new {wanted_config} are kept for inspection; fix the "
            "model and deploy again",
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
    return apply_autoscaling(clients, outputs, settings, say)


def apply_autoscaling(
    clients: AwsClients, outputs: StackOutputs, settings: EndpointSettings, say: Progress
) -> AutoscalingState | None:
    """Register (or check) the variant's target tracking; None when autoscaling is off."""
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
