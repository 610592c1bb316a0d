"""An endpoint in ``UpdateRollbackFailed``: the update and its rollback both failed.

SageMaker (DescribeEndpoint, EndpointStatus): "UpdateRollbackFailed: Both the rolling
deployment and auto-rollback failed. Your endpoint is in service with a mix of the old and new
endpoint configurations." It serves, so it is not Failed, and it is not transitional, so
waiting does not end it. A deploy onto such a fleet would stack a third configuration on a
mixed one; the orchestrator refuses (exit 1, nothing changed) and says what serves now and how
to resolve it: ``orchestrator rollback`` updates the endpoint to the configuration that served
before the failed update (recorded on every config the orchestrator makes), which UpdateEndpoint
accepts in this state.
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.errors import DeploymentFailed

MIXED = "UpdateRollbackFailed"


def is_mixed(current: dict[str, Any] | None) -> bool:
    return current is not None and current.get("EndpointStatus") == MIXED


def serving_now(current: dict[str, Any]) -> str:
    """The variants DescribeEndpoint reports, with their instance counts and images."""
    parts = []
    for variant in current.get("ProductionVariants", []):
        images = ", ".join(
            str(i.get("ResolvedImage") or i.get("SpecifiedImage"))
            for i in variant.get("DeployedImages", [])
        )
        parts.append(
            f"{variant.get('VariantName')}: {variant.get('CurrentInstanceCount', '?')} of "
            f"{variant.get('DesiredInstanceCount', '?')} instances"
            + (f" running {images}" if images else "")
        )
    return "; ".join(parts) or "no variant reported"


def refuse_mixed(endpoint: str, current: dict[str, Any], environment: str) -> DeploymentFailed:
    reason = str(current.get("FailureReason") or "SageMaker gave no FailureReason")
    return DeploymentFailed(
        f"endpoint {endpoint} is {MIXED}: the last update and its rollback both failed, and it "
        f'serves a mix of the old and new configurations ("{reason}"). Serving now: '
        f"{serving_now(current)}; requested config {current.get('EndpointConfigName')}. "
        "Nothing was changed. Resolve it with `orchestrator rollback --env "
        f"{environment}`, which returns every instance to the config that served before that "
        "update; then deploy again"
    )
