"""Target-tracking autoscaling of an endpoint variant (Application Auto Scaling).

The scalable target is the variant (``endpoint/<name>/variant/<variant>``), not the endpoint
config, so it outlives config updates as long as the variant name stays the same, which is why
every config this backend creates names its variant alike. Registering is idempotent (a second
RegisterScalableTarget updates min/max; PutScalingPolicy replaces the policy of that name), so
:func:`ensure_autoscaling` runs after every create, update and rollback and reports whether the
target was already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.aws.pagination import list_all
from orchestrator.settings.endpoint import AutoscalingSettings

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class AutoscalingState:
    """The variant's scalable target after :func:`ensure_autoscaling`."""

    resource_id: str
    policy_name: str
    min_capacity: int
    max_capacity: int
    was_registered: bool  # True: the target survived from before this call


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def policy_name(endpoint_name: str) -> str:
    return f"{endpoint_name}-invocations-per-instance"


def scalable_target(
    autoscaling: Any, endpoint_name: str, variant_name: str
) -> dict[str, Any] | None:
    """The variant's registered scalable target, or None."""
    target_id = resource_id(endpoint_name, variant_name)
    with aws_errors(f"describe the autoscaling target {target_id}"):
        targets = list_all(
            autoscaling,
            "describe_scalable_targets",
            "ScalableTargets",
            ServiceNamespace=NAMESPACE,
            ResourceIds=[target_id],
            ScalableDimension=DIMENSION,
        )
    return targets[0] if targets else None


def scaling_policies(
    autoscaling: Any, endpoint_name: str, variant_name: str
) -> list[dict[str, Any]]:
    """The scaling policies attached to the variant."""
    with aws_errors(f"describe the scaling policies of {endpoint_name}"):
        return list_all(
            autoscaling,
            "describe_scaling_policies",
            "ScalingPolicies",
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id(endpoint_name, variant_name),
            ScalableDimension=DIMENSION,
        )


def ensure_autoscaling(
    autoscaling: Any, endpoint_name: str, variant_name: str, settings: AutoscalingSettings
) -> AutoscalingState:
    """Register (or refresh) the scalable target and its target-tracking policy."""
    target_id = resource_id(endpoint_name, variant_name)
    existed = scalable_target(autoscaling, endpoint_name, variant_name) is not None
    name = policy_name(endpoint_name)
    with aws_errors(f"configure autoscaling of {target_id}"):
        autoscaling.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=target_id,
            ScalableDimension=DIMENSION,
            MinCapacity=settings.min_capacity,
            MaxCapacity=settings.max_capacity,
        )
        autoscaling.put_scaling_policy(
            PolicyName=name,
            ServiceNamespace=NAMESPACE,
            ResourceId=target_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": settings.target_invocations_per_instance,
                "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
                "ScaleInCooldown": settings.scale_in_cooldown_seconds,
                "ScaleOutCooldown": settings.scale_out_cooldown_seconds,
            },
        )
    return AutoscalingState(
        resource_id=target_id,
        policy_name=name,
        min_capacity=settings.min_capacity,
        max_capacity=settings.max_capacity,
        was_registered=existed,
    )


def deregister_autoscaling(autoscaling: Any, endpoint_name: str, variants: set[str]) -> list[str]:
    """Delete the scaling policies of and deregister each variant that is a scalable target;
    the variants it deregistered. SageMaker refuses an UpdateEndpoint that changes the instance
    type of a registered variant, and deleting an endpoint needs it too (developer guide,
    "Update endpoints that use auto scaling", "Delete endpoints configured for auto scaling")."""
    done: list[str] = []
    for variant in sorted(variants):
        resource = resource_id(endpoint_name, variant)
        if scalable_target(autoscaling, endpoint_name, variant) is None:
            continue
        with aws_errors(f"deregister autoscaling of {resource}"):
            for policy in scaling_policies(autoscaling, endpoint_name, variant):
                autoscaling.delete_scaling_policy(
                    PolicyName=policy["PolicyName"],
                    ServiceNamespace=NAMESPACE,
                    ResourceId=resource,
                    ScalableDimension=DIMENSION,
                )
            autoscaling.deregister_scalable_target(
                ServiceNamespace=NAMESPACE, ResourceId=resource, ScalableDimension=DIMENSION
            )
        done.append(variant)
    return done
