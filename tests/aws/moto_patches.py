"""What moto (5.x) lacks or gets wrong of SageMaker, added with SageMaker's semantics and state
kept in moto's own backend, so the orchestrator's real code runs unchanged against it.

Added (moto has no such action):

- ``UpdateEndpoint``: the endpoint goes ``Updating``; the next DescribeEndpoint finishes the
  deployment. Blue/green deployments keep the variant names (SageMaker refuses others). If any
  CloudWatch alarm named in ``AutoRollbackConfiguration`` is in ALARM (in moto's CloudWatch
  backend), the deployment rolls back as SageMaker's does: the endpoint returns to InService on
  its *previous* config with a FailureReason. ``LastDeploymentConfig`` is reported.
- ``ListPipelineExecutionSteps``: the steps recorded for an execution (see
  :func:`script_execution`), else every top-level step of its definition as Succeeded (moto's
  executions succeed at once).
- ``StopPipelineExecution``: the execution becomes Stopped.

Corrected:

- ``UpdateModelPackage``: moto clears CustomerMetadataProperties and ApprovalDescription when a
  request omits them; SageMaker keeps them (an approval would otherwise erase the metrics and
  lineage the registry stores there).
- ``DescribePipelineExecution``: reports the execution's FailureReason (moto always sends "").

Scripting (tests drive SageMaker's side of the story through moto's state, never through the
orchestrator's code): :func:`script_execution` gives an execution a sequence of states that
successive DescribePipelineExecution calls walk through, :func:`set_transform_job_state` ends a
transform job the way SageMaker would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

ACCOUNT = "123456789012"
REGION = "us-east-1"


def backend(account: str = ACCOUNT, region: str = REGION) -> SageMakerModelBackend:
    return sagemaker_backends[account][region]


# -- pipeline executions ----------------------------------------------------------------------
@dataclass
class ExecutionState:
    """One state of a scripted execution: its status, reason and steps at that moment."""

    status: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    failure_reason: str = ""


def step(name: str, status: str, reason: str = "", step_type: str = "Processing") -> dict[str, Any]:
    """A ListPipelineExecutionSteps entry as SageMaker returns it."""
    entry: dict[str, Any] = {
        "StepName": name,
        "StepDisplayName": name,
        "StepStatus": status,
        "StartTime": datetime.now(UTC),
        "AttemptCount": 1,
        "Metadata": {},
    }
    if step_type == "Processing":
        entry["Metadata"] = {
            "ProcessingJob": {"Arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}"}
        }
    if status in ("Succeeded", "Failed", "Stopped"):
        entry["EndTime"] = datetime.now(UTC)
    if reason:
        entry["FailureReason"] = reason
    return entry


def _scripts(sm: SageMakerModelBackend) -> dict[str, list[ExecutionState]]:
    return sm.__dict__.setdefault("_test_execution_scripts", {})


def _steps(sm: SageMakerModelBackend) -> dict[str, list[dict[str, Any]]]:
    return sm.__dict__.setdefault("_test_execution_steps", {})


def script_execution(execution_arn: str, states: list[ExecutionState]) -> None:
    """Each DescribePipelineExecution of ``execution_arn`` moves to the next state (the last one
    stays), as a running execution advances on SageMaker."""
    sm = backend()
    get_pipeline_execution_from_arn(sm.pipelines, execution_arn)  # must exist
    _scripts(sm)[execution_arn] = list(states)
    _apply_state(sm, execution_arn, states[0])


def _apply_state(sm: SageMakerModelBackend, arn: str, state: ExecutionState) -> None:
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    execution.pipeline_execution_status = state.status
    execution.pipeline_execution_failure_reason = state.failure_reason or None
    _steps(sm)[arn] = state.steps


def _describe_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    script = _scripts(sm).get(arn)
    if script:
        _apply_state(sm, arn, script.pop(0) if len(script) > 1 else script[0])
    response = sm.describe_pipeline_execution(arn)
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    response["FailureReason"] = execution.pipeline_execution_failure_reason or ""
    return ActionResult(response)


def _list_pipeline_execution_steps(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    steps = _steps(sm).get(arn)
    if steps is None:
        definition = json.loads(execution.pipeline_definition_for_execution or "{}")
        steps = [
            step(s["Name"], "Succeeded", step_type=s.get("Type", ""))
            for s in definition.get("Steps", [])
        ]
    # SageMaker lists the most recent step first unless SortOrder=Ascending; pages like it.
    ascending = self._get_param("SortOrder") == "Ascending"
    ordered = list(steps) if ascending else list(reversed(steps))
    size = int(self._get_param("MaxResults") or 100)
    start = int(self._get_param("NextToken") or 0)
    page = ordered[start : start + size]
    result: dict[str, Any] = {"PipelineExecutionSteps": page}
    if start + size < len(ordered):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def _stop_pipeline_execution(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    if execution.pipeline_execution_status in ("Executing", "Stopping"):
        execution.pipeline_execution_status = "Stopped"
        _scripts(sm).pop(arn, None)
    else:
        raise ValidationError(
            f"Pipeline execution {arn} is {execution.pipeline_execution_status}; only an "
            "executing pipeline execution can be stopped."
        )
    return ActionResult({"PipelineExecutionArn": arn})


# -- endpoints --------------------------------------------------------------------------------
def _pending(sm: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    return sm.__dict__.setdefault("_test_pending_updates", {})


def _deployments(sm: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    return sm.__dict__.setdefault("_test_last_deployment_configs", {})


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    config_name = self._get_param("EndpointConfigName")
    deployment = self._get_param("DeploymentConfig") or {}
    endpoint = sm.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(f"Could not find endpoint '{name}'.")
    if endpoint.endpoint_status != "InService":
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
    alarm_names = [
        a["AlarmName"]
        for a in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms", [])
    ]
    alarms = cloudwatch_backends[sm.account_id][sm.region_name].alarms
    firing = [n for n in alarm_names if n in alarms and alarms[n].state_value == "ALARM"]
    _pending(sm)[name] = {"config": config_name, "firing": firing, "seen": False}
    _deployments(sm)[name] = deployment
    endpoint.endpoint_status = "Updating"
    return ActionResult({"EndpointArn": endpoint.arn})


def _describe_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    pending = _pending(sm).get(name)
    endpoint = sm.endpoints.get(name)
    if pending and endpoint is not None:
        if not pending["seen"]:
            pending["seen"] = True
        else:
            _finish_update(sm, endpoint, pending)
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


def _finish_update(sm: SageMakerModelBackend, endpoint: Any, pending: dict[str, Any]) -> None:
    endpoint.endpoint_status = "InService"
    if pending["firing"]:
        # Auto-rollback: traffic goes back to the old fleet; the config does not change.
        endpoint.failure_reason = (
            f"Deployment rolled back: CloudWatch alarm(s) {', '.join(pending['firing'])} "
            "went into ALARM state during the deployment."
        )
        return
    config = sm.endpoint_configs[pending["config"]]
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.data_capture_config = config.data_capture_config
    endpoint.failure_reason = None
    endpoint.last_modified_time = datetime.now(UTC)


# -- model packages ---------------------------------------------------------------------------
_moto_update_model_package = SageMakerModelBackend.update_model_package


def _update_model_package(
    self: SageMakerModelBackend,
    model_package_arn: str,
    model_approval_status: str | None,
    approval_description: str | None,
    customer_metadata_properties: dict[str, str] | None,
    customer_metadata_properties_to_remove: list[str],
    additional_inference_specifications_to_add: list[Any] | None,
) -> str:
    mapped = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
    package = self.model_packages.get(mapped)
    if package is None:
        raise ValidationError(f"Model package {model_package_arn} not found")
    kept = dict(package.customer_metadata_properties or {})
    kept.update(customer_metadata_properties or {})
    if approval_description is None:
        approval_description = package.approval_description
    if model_approval_status is None:
        model_approval_status = package.model_approval_status
    return _moto_update_model_package(
        self,
        model_package_arn,
        model_approval_status,
        approval_description,
        kept or None,
        customer_metadata_properties_to_remove,
        additional_inference_specifications_to_add,
    )


# -- transform jobs ---------------------------------------------------------------------------
def set_transform_job_state(name: str, status: str, failure_reason: str = "") -> None:
    """End a transform job as SageMaker would (moto completes every job at once)."""
    job = backend().transform_jobs[name]
    job.transform_job_status = status
    job.failure_reason = failure_reason


# -- sessions ---------------------------------------------------------------------------------
_BOTOCORE_SESSION: Any = None


def shared_session() -> boto3.Session:
    """A boto3 session over one botocore session for all tests: service models are loaded
    once instead of per test (seconds saved); credentials are the fake ones from the
    environment, resolved per client."""
    global _BOTOCORE_SESSION
    if _BOTOCORE_SESSION is None:
        _BOTOCORE_SESSION = botocore.session.get_session()
    _BOTOCORE_SESSION._credentials = None  # re-read the (fake) environment credentials
    return boto3.Session(botocore_session=_BOTOCORE_SESSION, region_name=REGION)


# -- installing -------------------------------------------------------------------------------
@contextmanager
def sagemaker_patched() -> Iterator[None]:
    """Add the missing actions and corrections above for the duration of the block."""
    with ExitStack() as stack:
        for name, function in {
            "update_endpoint": _update_endpoint,
            "describe_endpoint": _describe_endpoint,
            "list_pipeline_execution_steps": _list_pipeline_execution_steps,
            "stop_pipeline_execution": _stop_pipeline_execution,
            "describe_pipeline_execution": _describe_pipeline_execution,
        }.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, function, create=True))
        stack.enter_context(
            mock.patch.object(SageMakerModelBackend, "update_model_package", _update_model_package)
        )
        yield


# -- fault injection --------------------------------------------------------------------------
class InjectError:
    """Answer the next ``times`` ``operation`` requests of ``client`` with HTTP 400 and error
    ``code`` before they reach moto (a ``before-send`` hook, so the answer goes through
    botocore's real parsing and retry handling). ``calls`` counts requests that were sent."""

    def __init__(
        self, client: Any, operation: str, times: int = 1, code: str = "ThrottlingException"
    ) -> None:
        self.remaining = times
        self.code = code
        self.calls = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{service}.{operation}", self)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.calls += 1
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        body = json.dumps({"__type": self.code, "message": f"injected {self.code}"})
        return AWSResponse(
            request.url,
            400,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"},
            _Raw(body.encode()),
        )


class _Raw:
    """The minimal raw-response object AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body
