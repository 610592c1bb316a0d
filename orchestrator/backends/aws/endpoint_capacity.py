"""A deploy or rollback never leaves the endpoint with fewer instances than it serves with.

Autoscaling grows a variant by raising its DesiredInstanceCount (through
UpdateEndpointWeightsAndCapacities); the endpoint config keeps the count it was created with.
A blue/green update to a config with a smaller InitialInstanceCount would start the new fleet
that small, in the middle of the load that grew the old one (terraform-provider-aws #48990,
sagemaker-python-sdk #3126). So the new fleet starts at least as large as the live one
(CurrentInstanceCount, and DesiredInstanceCount while it scales out), within the autoscaling
bounds; autoscaling is registered again when the update ends (``endpoint_switch.settle``).

A rollback returns to an existing config, made with its own count: when that count is below
the live one, the config is copied with the live count (same model, settings and tags, so the
copy names the same package and predecessor) and the rollback goes to the copy.
"""

from __future__ import annotations

from typing import Any

import botocore.session

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.aws.models import MODEL_PACKAGE_TAG
from orchestrator.backends.aws.names import stamped_name
from orchestrator.backends.base import Progress
from orchestrator.backends.model_registry import RegistryError, parse_model_package_arn
from orchestrator.settings.endpoint import EndpointSettings

_CREATE_MEMBERS = frozenset(
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateEndpointConfig")
    .input_shape.members
) - {"EndpointConfigName", "Tags"}


def live_instance_count(
    current: dict[str, Any] | None, settings: EndpointSettings, floor: int | None = None
) -> int:
    """The count a new fleet starts with: at least ``floor`` (default the environment's
    initial count), the live CurrentInstanceCount and DesiredInstanceCount of the variant,
    within the autoscaling bounds."""
    count = settings.initial_instance_count if floor is None else floor
    for variant in (current or {}).get("ProductionVariants", []):
        if variant.get("VariantName") == settings.variant_name:
            live = (variant.get("CurrentInstanceCount"), variant.get("DesiredInstanceCount"))
            count = max(count, *(int(n or 0) for n in live))
    if settings.autoscaling is not None:
        count = min(
            max(count, settings.autoscaling.min_capacity), settings.autoscaling.max_capacity
        )
    return count


def sized_for_rollback(
    sagemaker: Any,
    endpoint: str,
    settings: EndpointSettings,
    target: dict[str, Any],
    target_tags: dict[str, str],
    current: dict[str, Any],
    say: Progress,
) -> str:
    """``target``'s name when it starts as large as the live fleet; otherwise the name of a
    copy of it with the live count."""
    variants = [dict(v) for v in target.get("ProductionVariants", [])]
    ours = next((v for v in variants if v.get("VariantName") == settings.variant_name), None)
    if ours is None or "InitialInstanceCount" not in ours:
        return str(target["EndpointConfigName"])
    wanted = live_instance_count(current, settings, floor=int(ours["InitialInstanceCount"]))
    if wanted <= int(ours["InitialInstanceCount"]):
        return str(target["EndpointConfigName"])
    starts = int(ours["InitialInstanceCount"])
    ours["InitialInstanceCount"] = wanted
    name = stamped_name(endpoint, _version(target_tags))
    request = {k: v for k, v in target.items() if k in _CREATE_MEMBERS}
    request["ProductionVariants"] = variants
    tags = [{"Key": k, "Value": v} for k, v in target_tags.items() if not k.startswith("aws:")]
    say(
        f"{target['EndpointConfigName']} starts {settings.variant_name} with {starts} "
        f"instances and the live fleet needs {wanted}: rolling back to its copy {name}"
    )
    with aws_errors(f"create endpoint config {name} (a copy of {target['EndpointConfigName']})"):
        sagemaker.create_endpoint_config(EndpointConfigName=name, Tags=tags, **request)
    return name


def _version(tags: dict[str, str]) -> int:
    try:
        return parse_model_package_arn(tags.get(MODEL_PACKAGE_TAG, ""))[1]
    except RegistryError:
        return 0
