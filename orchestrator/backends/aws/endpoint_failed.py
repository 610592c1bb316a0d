"""An endpoint in ``Failed``: said, with SageMaker's reason, or deleted to be created again.

SageMaker (DescribeEndpoint, EndpointStatus): "Failed: Endpoint could not be created, updated,
or re-scaled. Use the FailureReason value returned by DescribeEndpoint for information about
the failure. DeleteEndpoint is the only operation that can be performed on a failed endpoint."
A deploy onto it can only work by deleting it and creating it again, which loses the endpoint's
history (its config chain for rollback), so that is done only when asked
(``--recreate-failed``); otherwise :class:`EndpointInFailedState` (exit 1) names the reason.

Deleting an endpoint makes Application Auto Scaling deregister its variants (SageMaker developer
guide, "Delete endpoints configured for auto scaling", with the caller's DeregisterScalableTarget
permission); the orchestrator deregisters them itself first, so the permission is one the test
suite records, and registers them again after the create as every deploy does.
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.autoscaling import deregister_autoscaling
from orchestrator.backends.aws.clients import AwsClients, aws_errors
from orchestrator.backends.aws.endpoint_lookups import describe_endpoint
from orchestrator.backends.aws.errors import DeploymentFailed
from orchestrator.backends.base import Progress
from orchestrator.backends.polling import PollSettings, poll

RECREATE_FLAG = "--recreate-failed"


class EndpointInFailedState(DeploymentFailed):
    """The endpoint is Failed and the deploy was not asked to recreate it (nothing changed)."""

    def __init__(self, message: str, *, endpoint_name: str, failure_reason: str) -> None:
        super().__init__(message)
        self.endpoint_name = endpoint_name
        self.failure_reason = failure_reason


def is_failed(current: dict[str, Any] | None) -> bool:
    return current is not None and current.get("EndpointStatus") == "Failed"


def refuse_failed(endpoint: str, current: dict[str, Any]) -> EndpointInFailedState:
    """The error for a deploy onto a Failed endpoint without ``--recreate-failed``."""
    reason = str(current.get("FailureReason") or "SageMaker gave no FailureReason")
    return EndpointInFailedState(
        f'endpoint {endpoint} is Failed: "{reason}". SageMaker allows only DeleteEndpoint on a '
        f"failed endpoint, so nothing was changed; fix the cause, then rerun the deploy with "
        f"{RECREATE_FLAG} to delete the endpoint and create it with this version",
        endpoint_name=endpoint,
        failure_reason=reason,
    )


def delete_failed_endpoint(
    clients: AwsClients,
    endpoint: str,
    current: dict[str, Any],
    variant_names: set[str],
    poll_settings: PollSettings,
    say: Progress,
) -> None:
    """Deregister the endpoint's autoscaling, DeleteEndpoint, and wait until it is gone."""
    reason = current.get("FailureReason") or "no reason given"
    say(f"endpoint {endpoint} is Failed ({reason}); deleting it to create it again")
    variants = variant_names | {
        str(v["VariantName"]) for v in current.get("ProductionVariants", []) if "VariantName" in v
    }
    deregister_autoscaling(clients.autoscaling, endpoint, variants)
    with aws_errors(f"delete failed endpoint {endpoint}"):
        clients.sagemaker.delete_endpoint(EndpointName=endpoint)
    final = poll(
        lambda: describe_endpoint(clients.sagemaker, endpoint) or {"EndpointStatus": "Deleted"},
        lambda state: state["EndpointStatus"] in ("Deleted", "Failed"),
        poll_settings,
        what=f"the deletion of failed endpoint {endpoint}",
        on_state=lambda state: say(f"endpoint {endpoint}: {state['EndpointStatus']}"),
        on_timeout="SageMaker continues deleting it; deploy again once DescribeEndpoint no "
        "longer finds it",
    )
    if final["EndpointStatus"] == "Failed":
        raise DeploymentFailed(
            f"endpoint {endpoint} could not be deleted and is Failed again: "
            f"{final.get('FailureReason') or 'no reason given'}"
        )
    say(f"endpoint {endpoint} is deleted")
