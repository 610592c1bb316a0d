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

An endpoint in Failed accepts only DeleteEndpoint: a deploy onto it stops before changing
anything and quotes SageMaker's FailureReason, unless ``recreate_failed`` asks for it to be
deleted and created with the new config (``endpoint_failed.py``).

The look before anything changes (the endpoint, its config's tags, the alarms) is read-only, so
a throttle or a 5xx there beyond botocore's own retries is retried with bounded backoff
(``polling.retry_transient``) instead of ending the deploy; a create that names a resource made
seconds before is retried while SageMaker cannot see it yet (``endpoint_switch.when_visible``).
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.autoscaling import deregister_autoscaling
from orchestrator.backends.aws.clients import AwsClients, aws_errors
from orchestrator.backends.aws.endpoint_capacity import live_instance_count, sized_for_rollback
from orchestrator.backends.aws.endpoint_configs import prune_endpoint_configs
from orchestrator.backends.aws.endpoint_failed import (
    delete_failed_endpoint,
    is_failed,
    refuse_failed,
)
from orchestrator.backends.aws.endpoint_lookups import (
    describe_endpoint,
    describe_endpoint_config,
    endpoint_config_tags,
    rollback_alarms,
)
from orchestrator.backends.aws.endpoint_mixed import MIXED, is_mixed, refuse_mixed
from orchestrator.backends.aws.endpoint_requests import PREVIOUS_CONFIG_TAG, endpoint_config_request
from orchestrator.backends.aws.endpoint_switch import (
    settle,
    switch_to,
    update_endpoint,
    when_visible,
)
from orchestrator.backends.aws.errors import AwsRequestError
from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG, create_model
from orchestrator.backends.aws.names import stamped_name
from orchestrator.backends.base import DeployAction, DeploymentResult, Progress
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import Backoff, PollSettings, retry_transient
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.stack_outputs import StackOutputs

__all__ = ["deploy", "rollback"]


def deploy(
    clients: AwsClients,
    outputs: StackOutputs,
    package: ModelPackage,
    settings: EndpointSettings,
    poll_settings: PollSettings,
    *,
    progress: Progress | None = None,
    recreate_failed: bool = False,
) -> DeploymentResult:
    """Serve ``package`` on the stack's endpoint (create, or blue/green update), verified.
    :class:`DeploymentRolledBack`: the update ended on the previous config, which keeps serving;
    :class:`DeploymentFailed`: the endpoint ended Failed; :class:`WaitTimeout`: still updating;
    :class:`EndpointInFailedState`: it was Failed before (nothing changed) and
    ``recreate_failed`` was not given; with it the endpoint is deleted and created again."""
    say = progress or (lambda _message: None)
    sm = clients.sagemaker
    endpoint = outputs.endpoint_name
    backoff = Backoff.within(poll_settings)
    current = retry_transient(lambda: _deployable(sm, outputs, package, recreate_failed), backoff)
    live = retry_transient(lambda: _already_live(sm, current, package), backoff)
    if live is not None:
        say(f"{package.group} v{package.version} already serves on {endpoint}; nothing to do")
        return live
    failed = is_failed(current)
    alarms = retry_transient(
        lambda: rollback_alarms(clients.cloudwatch, outputs, settings), backoff
    )
    # A Failed endpoint is deleted and created afresh: its config is no rollback target.
    previous_config = str(current["EndpointConfigName"]) if current and not failed else None
    model_name = config_name = _new_config(
        sm, outputs, package, settings, None if failed else current, previous_config, say, backoff
    )
    if current is not None and failed:
        variants = {settings.variant_name}
        delete_failed_endpoint(clients, endpoint, current, variants, poll_settings, say)
    elif previous_config is not None:
        _release_resized_variants(clients, endpoint, previous_config, settings, say)
    switched = switch_to(sm, outputs, settings, config_name, previous_config, alarms, say, backoff)
    # The history and the summary say which create this was.
    action: DeployAction = "recreated" if failed else switched
    scaling = settle(
        clients, outputs, settings, config_name, previous_config, poll_settings, say, alarms
    )
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


def _new_config(
    sagemaker: Any,
    outputs: StackOutputs,
    package: ModelPackage,
    settings: EndpointSettings,
    current: dict[str, Any] | None,
    previous_config: str | None,
    say: Progress,
    backoff: Backoff,
) -> str:
    """Create the model and endpoint config (one stamped name for both) for ``package``; the
    config names the model created just before, so "Could not find model" is retried."""
    name = stamped_name(outputs.endpoint_name, package.version)
    say(f"creating model {name} for {package.arn}")
    # The serving container's business metrics are dimensioned by endpoint and variant.
    environment = {"SERVE_ENDPOINT_NAME": outputs.endpoint_name}
    environment["SERVE_VARIANT_NAME"] = settings.variant_name
    create_model(
        sagemaker,
        outputs,
        package,
        name,
        network_isolation=settings.network_isolation,
        environment=environment,
    )
    request = endpoint_config_request(
        outputs,
        settings,
        config_name=name,
        model_name=name,
        instance_count=live_instance_count(current, settings),
        previous_config=previous_config,
        package_arn=package.arn,
    )
    say(f"creating endpoint config {name}")
    when_visible(
        f"create endpoint config {name}",
        ("model", name),
        lambda: sagemaker.create_endpoint_config(**request),
        backoff,
    )
    return name


def _release_resized_variants(
    clients: AwsClients,
    endpoint: str,
    previous_config: str,
    settings: EndpointSettings,
    say: Progress,
) -> None:
    """Deregister the autoscaling of variants whose instance type the update changes, which
    SageMaker refuses otherwise ("Update endpoints that use auto scaling"); ``settle``
    registers them again once the update ends, whichever config then serves."""
    with aws_errors(f"describe endpoint config {previous_config}"):
        described = clients.sagemaker.describe_endpoint_config(EndpointConfigName=previous_config)
    resized = {
        str(v["VariantName"])
        for v in described.get("ProductionVariants", [])
        if v.get("InstanceType") and v["InstanceType"] != settings.instance_type
    }
    released = deregister_autoscaling(clients.autoscaling, endpoint, resized)
    if released:
        say(f"autoscaling of {', '.join(released)} paused for the instance type change")


def _already_live(
    sagemaker: Any, current: dict[str, Any] | None, package: ModelPackage
) -> DeploymentResult | None:
    """The no-op result when the InService endpoint's config was made for ``package``: a
    second deploy of the live version must not create a config, nor prune the one a rollback
    needs."""
    if current is None or current["EndpointStatus"] != "InService":
        return None
    serving = str(current["EndpointConfigName"])
    tags = endpoint_config_tags(sagemaker, serving)
    if tags.get(MODEL_PACKAGE_TAG) != package.arn:
        return None
    return DeploymentResult(
        endpoint_name=str(current["EndpointName"]),
        action="unchanged",
        endpoint_config_name=serving,
        previous_config_name=tags.get(PREVIOUS_CONFIG_TAG),
        model_name=serving,
        model_package_arn=package.arn,
    )


def _deployable(
    sagemaker: Any, outputs: StackOutputs, package: ModelPackage, recreate_failed: bool
) -> dict[str, Any] | None:
    """The endpoint's DescribeEndpoint answer (None: it does not exist), once a deploy of
    ``package`` onto it may go ahead; refused before anything changes otherwise."""
    if package.approval_status != "Approved":
        raise AwsRequestError(
            f"version {package.version} of {package.group} is {package.approval_status}; only "
            "Approved versions are deployed: approve it first (`orchestrator models approve`)"
        )
    endpoint = outputs.endpoint_name
    current = describe_endpoint(sagemaker, endpoint)
    if current is None or current["EndpointStatus"] == "InService":
        return current
    if is_mixed(current):
        raise refuse_mixed(endpoint, current, outputs.environment)
    if is_failed(current):
        if not recreate_failed:
            raise refuse_failed(endpoint, current)
        return current
    raise AwsRequestError(
        f"endpoint {endpoint} is {current['EndpointStatus']}; wait until it is InService "
        "(another deployment may be running) and deploy again"
    )


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
    backoff = Backoff.within(poll_settings)
    current = retry_transient(lambda: describe_endpoint(sm, endpoint), backoff)
    if current is None:
        raise AwsRequestError(f"endpoint {endpoint} does not exist; there is nothing to roll back")
    if current["EndpointStatus"] not in ("InService", MIXED):  # a mixed fleet: see endpoint_mixed
        raise AwsRequestError(
            f"endpoint {endpoint} is {current['EndpointStatus']}; wait until it is InService "
            "and roll back again"
        )
    serving = str(current["EndpointConfigName"])
    tags = endpoint_config_tags(sm, serving)
    target = tags.get(PREVIOUS_CONFIG_TAG)
    if not target:
        raise AwsRequestError(
            f"endpoint config {serving} records no previous config (it was the first "
            "deployment, or was not made by the orchestrator); deploy a version instead"
        )
    target_config = describe_endpoint_config(sm, target)
    if target_config is None:
        raise AwsRequestError(
            f"the previous endpoint config {target} was deleted; deploy the version you want "
            "with `orchestrator deploy --model-package ARN`"
        )
    alarms = retry_transient(
        lambda: rollback_alarms(clients.cloudwatch, outputs, settings), backoff
    )
    target_tags = endpoint_config_tags(sm, target)
    target = sized_for_rollback(sm, endpoint, settings, target_config, target_tags, current, say)
    say(f"rolling endpoint {endpoint} back: {serving} -> {target}")
    update_endpoint(sm, endpoint, target, settings, alarms, backoff)
    scaling = settle(clients, outputs, settings, target, serving, poll_settings, say, alarms)
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
