"""Least-privilege audit of every IAM policy document in a Terraform plan.

Why here and not only in terraform test: the plan JSON holds every policy of every module after
Terraform has rendered it, so one walk checks identity, trust and resource policies alike,
including ones a future module adds without writing a test for them.

Rules for `Allow` statements (`Deny` statements only restrict and are not audited):
- no action "*" or "<service>:*", and no NotAction / NotResource;
- Resource "*" only in identity policies for the actions in RESOURCE_STAR_ALLOWLIST, which AWS
  requires because they support no resource-level permissions. In KMS key policies "*" means
  "this key", so key policies are exempt from the resource rule.
- VPC endpoint policies grant nothing: they bound what may pass through the endpoint. A
  statement there may allow "<service>:*" on "*" only as an account perimeter, i.e. with an
  `aws:PrincipalAccount` condition; without one it is audited like any other policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# action -> why AWS requires Resource "*". Mirrored in terraform/README.md.
RESOURCE_STAR_ALLOWLIST: dict[str, str] = {
    "ecr:GetAuthorizationToken": "returns a registry login token; ECR defines no resource for it",
    "servicequotas:ListServiceQuotas": "List action without resource types; quota values only",
    "ec2:DescribeDhcpOptions": "EC2 Describe actions support no resource-level permissions",
    "ec2:DescribeNetworkInterfaces": "EC2 Describe actions support no resource-level permissions",
    "ec2:DescribeSecurityGroups": "EC2 Describe actions support no resource-level permissions",
    "ec2:DescribeSubnets": "EC2 Describe actions support no resource-level permissions",
    "ec2:DescribeVpcs": "EC2 Describe actions support no resource-level permissions",
    # The jobs role (SageMaker's namespaces) and the orchestrator (`monitor run`'s namespace,
    # MLOps/ModelMonitor) both publish; each grant must carry CONDITION_REQUIRED's key.
    "cloudwatch:PutMetricData": "no resource type; limited by the cloudwatch:namespace condition",
    "cloudwatch:GetMetricData": "no resource type; reads metric values only (orchestrator ui)",
    "sagemaker:ListModelPackages": "List action without resource types; returns metadata only",
    "sagemaker:ListModelPackageGroups": "List action without resource types; returns names only",
    "sagemaker:ListEndpointConfigs": "List action without resource types; returns names only",
    "application-autoscaling:DescribeScalableTargets": "Describe action without resource types",
    "application-autoscaling:DescribeScalingPolicies": "Describe action without resource types",
}

# action on Resource "*" -> the condition key that must limit it (CloudWatch User Guide, "Using
# condition keys to limit access to CloudWatch namespaces"): without it PutMetricData could write
# into any namespace, Model Monitor's alarmed aws/sagemaker/Endpoints/data-metrics included.
CONDITION_REQUIRED: dict[str, str] = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}

POLICY_ATTRIBUTES = ("policy", "assume_role_policy")


@dataclass(frozen=True)
class PolicyDocument:
    """One rendered policy document and where it came from."""

    address: str
    resource_type: str
    attribute: str
    document: dict[str, Any]


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def policy_documents(module: dict[str, Any]) -> Iterator[PolicyDocument]:
    """Every IAM-style document (a JSON string with a Statement list) under a plan module."""
    for resource in _resources(module):
        values = resource.get("values") or {}
        for attribute in POLICY_ATTRIBUTES:
            raw = values.get(attribute)
            if not isinstance(raw, str) or not raw.strip().startswith("{"):
                continue
            document = json.loads(raw)
            if "Statement" in document:
                yield PolicyDocument(resource["address"], resource["type"], attribute, document)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_account_perimeter(policy: PolicyDocument, statement: dict[str, Any]) -> bool:
    """A VPC endpoint policy statement limited to the principals of one account."""
    if policy.resource_type != "aws_vpc_endpoint":
        return False
    condition = statement.get("Condition") or {}
    equals = condition.get("StringEquals") or {}
    return bool(equals.get("aws:PrincipalAccount"))


def violations(policy: PolicyDocument) -> list[str]:
    """Human-readable least-privilege violations of one document (empty when it is clean)."""
    found: list[str] = []
    is_key_policy = policy.resource_type == "aws_kms_key"
    is_trust_policy = policy.attribute == "assume_role_policy"
    for index, statement in enumerate(_as_list(policy.document.get("Statement"))):
        if statement.get("Effect") != "Allow" or _is_account_perimeter(policy, statement):
            continue
        where = f"{policy.address} ({policy.attribute}) statement {statement.get('Sid', index)}"
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{where}: Allow with NotAction/NotResource grants everything else")
        actions = [str(action) for action in _as_list(statement.get("Action"))]
        for action in actions:
            if action == "*" or action.endswith(":*"):
                found.append(f"{where}: wildcard action {action!r}")
        if is_key_policy or is_trust_policy:
            continue
        if "*" in _as_list(statement.get("Resource")):
            for action in actions:
                if action not in RESOURCE_STAR_ALLOWLIST:
                    found.append(f"{where}: {action} on Resource '*' is not in the allowlist")
                key = CONDITION_REQUIRED.get(action)
                if key and not _conditions_on(statement, key):
                    found.append(f"{where}: {action} on Resource '*' without a {key} condition")
    return found


def _conditions_on(statement: dict[str, Any], key: str) -> list[Any]:
    """The values a statement's positive string conditions (StringEquals, StringLike) give
    ``key``; empty when none limits it."""
    condition = statement.get("Condition") or {}
    return [
        value
        for operator in ("StringEquals", "StringLike")
        for value in _as_list((condition.get(operator) or {}).get(key))
    ]
