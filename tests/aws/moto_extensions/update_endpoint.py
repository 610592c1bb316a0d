"""UpdateEndpoint (which moto 5 lacks) and the DescribeEndpoint answers during an update.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html: "When
SageMaker receives the request, it sets the endpoint status to Updating. After updating the
endpoint, it sets the status to InService", serving on the old config meanwhile ("there is no
availability loss"); a blue/green update keeps the variant names; for the alarms of
``AutoRollbackConfiguration``: "If any alarms are tripped during a deployment, SageMaker rolls
back the deployment" (the endpoint returns to InService on its previous config with a
FailureReason). DescribeEndpoint
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html) reports
``PendingDeploymentSummary`` ("the summary of an in-progress deployment") while updating and
``LastDeploymentConfig`` ("The most recent deployment configuration for the endpoint")
afterwards.

The alarms are watched for the whole deployment, each baking period included, not only when it
starts: "If any alarms are tripped during a deployment, SageMaker rolls back the deployment"
(API_AutoRollbackConfig.html); "If any of your alarms trip during the specified monitoring
period, SageMaker AI initiates a complete rollback to the old endpoint"
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html);
"If no alarms trip during the baking period, SageMaker AI terminates the old fleet (blue
fleet)" (deployment-guardrails-blue-green-all-at-once.html), so an alarm after the deployment
ended has no old fleet to return to. An alarm already in ALARM when the update starts is in
ALARM during the baking period, and the guardrails page warns that an alarm the old fleet trips
"during the deployment" ends it, so it rolls back too.

moto has no clock: here DescribeEndpoint calls stand for time passing. The update (new fleet,
traffic shift and bake) lasts from UpdateEndpoint until the second DescribeEndpoint after it;
every DescribeEndpoint in that span reads the named alarms from moto's CloudWatch backend and
rolls back at the first one in ALARM (:func:`set_alarm_state` lets a test trip one mid-bake,
from a client hook, without a CloudWatch request of its own).

"If the update would change the instance type for any model that is a target for auto scaling,
the update fails ... If you are trying to update the endpoint by calling the UpdateEndpoint API,
the call fails" (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html):
such an update is refused while the variant is registered in moto's Application Auto Scaling.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from moto_extensions.state import backend


def _pending(sm: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    kept: dict[str, dict[str, Any]] = sm.__dict__.setdefault("_test_pending_updates", {})
    return kept


def _deployments(sm: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    kept: dict[str, dict[str, Any]] = sm.__dict__.setdefault("_test_last_deployment_configs", {})
    return kept


def _refuse_resizing_scaled_variants(
    sm: SageMakerModelBackend, endpoint: str, old: Any, new: Any
) -> None:
    scaling = applicationautoscaling_backends[sm.account_id][sm.region_name]
    registered = scaling.targets.get("sagemaker:variant:DesiredInstanceCount", {})
    types = {
        v["VariantName"]: v.get("InstanceType") for v in (old.production_variants if old else [])
    }
    for variant in new.production_variants:
        before = types.get(variant["VariantName"])
        resource = f"endpoint/{endpoint}/variant/{variant['VariantName']}"
        if before and before != variant.get("InstanceType") and resource in registered:
            raise ValidationError(
                f"The variant {variant['VariantName']} of endpoint {endpoint} is a target for "
                "auto scaling; deregister it before changing its instance type."
            )


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    config_name = self._get_param("EndpointConfigName")
    deployment = self._get_param("DeploymentConfig") or {}
    endpoint = sm.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(f"Could not find endpoint '{name}'.")
    # UpdateRollbackFailed serves a mixed fleet and is left by an update (mixed_endpoint.py).
    if endpoint.endpoint_status not in ("InService", "UpdateRollbackFailed"):
        raise ValidationError(
            f"Cannot update in-progress endpoint '{endpoint.arn}' ({endpoint.endpoint_status})."
        )
    config = sm.endpoint_configs.get(config_name)
    if config is None:
        raise ValidationError(f"Could not find endpoint configuration '{config_name}'.")
    old = sm.endpoint_configs.get(endpoint.endpoint_config_name)
    old_variants = sorted(v["VariantName"] for v in (old.production_variants if old else []))
    new_variants = sorted(v["VariantName"] for v in config.production_variants)
    if old_variants != new_variants:
        raise ValidationError(
            "For a blue/green deployment the new endpoint configuration must have the same "
            f"variant names as the old one: {old_variants} != {new_variants}."
        )
    _refuse_resizing_scaled_variants(sm, name, old, config)
    alarm_names = [
        a["AlarmName"]
        for a in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms", [])
    ]
    _pending(sm)[name] = {"config": config_name, "alarms": alarm_names, "seen": False}
    _deployments(sm)[name] = deployment
    endpoint.endpoint_status = "Updating"
    return ActionResult({"EndpointArn": endpoint.arn})


def _describe_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    pending = _pending(sm).get(name)
    endpoint = sm.endpoints.get(name)
    if pending and endpoint is not None:
        firing = _firing(sm, pending["alarms"])
        if not firing and not pending["seen"]:
            pending["seen"] = True
        else:
            _finish_update(sm, endpoint, pending["config"], firing)
            del _pending(sm)[name]
            pending = None
    response = sm.describe_endpoint(name)
    if pending:
        response["PendingDeploymentSummary"] = {
            "EndpointConfigName": pending["config"],
            "StartTime": datetime.now(UTC),
        }
    if name in _deployments(sm):
        response["LastDeploymentConfig"] = _deployments(sm)[name]
    return ActionResult(response)


def set_alarm_state(name: str, state: str, reason: str = "set by the test") -> None:
    """What CloudWatch does when an alarm's metric crosses its threshold (SetAlarmState in
    moto's backend, so no request of the test's own passes through the client)."""
    sm = backend()
    cloudwatch_backends[sm.account_id][sm.region_name].set_alarm_state(name, reason, None, state)


def _firing(sm: SageMakerModelBackend, names: list[str]) -> list[str]:
    alarms = cloudwatch_backends[sm.account_id][sm.region_name].alarms
    return [n for n in names if n in alarms and alarms[n].state_value == "ALARM"]


def _finish_update(
    sm: SageMakerModelBackend, endpoint: Any, config_name: str, firing: list[str]
) -> None:
    endpoint.endpoint_status = "InService"
    if firing:
        # Auto-rollback: traffic goes back to the old fleet; the config does not change.
        endpoint.failure_reason = (
            f"Deployment rolled back: CloudWatch alarm(s) {', '.join(firing)} "
            "went into ALARM state during the deployment."
        )
        return
    config = sm.endpoint_configs[config_name]
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.data_capture_config = config.data_capture_config
    endpoint.failure_reason = None
    endpoint.last_modified_time = datetime.now(UTC)
