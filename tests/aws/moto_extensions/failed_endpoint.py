"""An endpoint in ``Failed``, and the only way out of it: DeleteEndpoint.

AWS: DescribeEndpoint's EndpointStatus
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html; the same
text in EndpointSummary, API_EndpointSummary.html): "Failed: Endpoint could not be created,
updated, or re-scaled. Use the FailureReason value returned by DescribeEndpoint for information
about the failure. DeleteEndpoint is the only operation that can be performed on a failed
endpoint." So UpdateEndpoint on it is refused with a ValidationException (SageMaker's error for
a request its state does not allow; the wording here is ours). DeleteEndpoint sets the status
to ``Deleting`` and the endpoint goes away; after that DescribeEndpoint answers
ValidationException "Could not find endpoint" (botocore's ``endpoint_deleted`` waiter accepts
exactly that error as success). CreateEndpoint: "The endpoint name must be unique within an AWS
Region in your AWS account" (API_CreateEndpoint.html), so a name still in use (also while
Deleting) is refused; moto 5 would silently replace it. "If you delete an endpoint, Application
Auto Scaling checks to see whether any of the models on that endpoint are targets for auto
scaling. If any are [...] Application Auto Scaling deregisters those models as scalable targets"
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html).

Here a deleted endpoint answers ``Deleting`` on the next DescribeEndpoint and is gone on the one
after. Tests put an endpoint into Failed with :func:`fail_endpoint`.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from moto_extensions.state import backend
from moto_extensions.update_endpoint import _describe_endpoint as _describe_updating
from moto_extensions.update_endpoint import _update_endpoint as _update_in_service


def fail_endpoint(name: str, reason: str) -> None:
    """Put endpoint ``name`` into Failed with ``reason``, as SageMaker does when it could not
    create, update or re-scale it."""
    endpoint = backend().endpoints[name]
    endpoint.endpoint_status = "Failed"
    endpoint.failure_reason = reason


def _deleting(sm: SageMakerModelBackend) -> dict[str, bool]:
    """Endpoints being deleted -> whether a DescribeEndpoint has seen them Deleting."""
    kept: dict[str, bool] = sm.__dict__.setdefault("_test_deleting_endpoints", {})
    return kept


def _not_found(sm: SageMakerModelBackend, name: str) -> ValidationError:
    arn = FakeEndpoint.arn_formatter(name, sm.account_id, sm.region_name)
    return ValidationError(message=f"Could not find endpoint '{arn}'.")


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    endpoint = sm.endpoints.get(self._get_param("EndpointName"))
    if endpoint is not None and endpoint.endpoint_status == "Failed":
        raise ValidationError(
            f"Cannot update failed endpoint '{endpoint.arn}': DeleteEndpoint is the only "
            "operation that can be performed on a failed endpoint."
        )
    return _update_in_service(self)


def _delete_endpoint(self: SageMakerResponse) -> EmptyResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    endpoint = sm.endpoints.get(name)
    if endpoint is None or name in _deleting(sm):
        raise (
            _not_found(sm, name)
            if endpoint is None
            else ValidationError(
                f"Cannot delete endpoint '{endpoint.arn}': it is already being deleted."
            )
        )
    if endpoint.endpoint_status in ("Creating", "Updating", "SystemUpdating", "RollingBack"):
        raise ValidationError(
            f"Cannot delete in-progress endpoint '{endpoint.arn}' ({endpoint.endpoint_status})."
        )
    endpoint.endpoint_status = "Deleting"
    _deleting(sm)[name] = False
    _deregister_scalable_targets(sm, endpoint)
    return EmptyResult()


def _describe_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    deleting = _deleting(sm)
    if name in deleting:
        if deleting[name]:
            del deleting[name]
            del sm.endpoints[name]
            raise _not_found(sm, name)
        deleting[name] = True
    return _describe_updating(self)


def _create_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("EndpointName")
    existing = sm.endpoints.get(name)
    if existing is not None:
        raise ValidationError(f"Cannot create already existing endpoint '{existing.arn}'.")
    endpoint = sm.create_endpoint(
        endpoint_name=name,
        endpoint_config_name=self._get_param("EndpointConfigName"),
        tags=self._get_param("Tags"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def _deregister_scalable_targets(sm: SageMakerModelBackend, endpoint: Any) -> None:
    """What Application Auto Scaling does when the endpoint is deleted: its variants stop being
    scalable targets, and their scaling policies go with them."""
    scaling = applicationautoscaling_backends[sm.account_id][sm.region_name]
    prefix = f"endpoint/{endpoint.endpoint_name}/variant/"
    for targets in scaling.targets.values():
        for resource in [r for r in targets if r.startswith(prefix)]:
            del targets[resource]
    for key in [k for k, p in scaling.policies.items() if p.resource_id.startswith(prefix)]:
        del scaling.policies[key]
