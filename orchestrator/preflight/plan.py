"""A Terraform plan (``terraform show -json``) as the preflight reads it: resources with their
planned values, and the references in the configuration that tie them together.

Values that are only known after apply (ARNs of new resources, policy JSON that embeds them) are
absent from a first plan; the configuration's ``references`` still say which role a policy is
attached to and which policy an attachment names, so those links are read from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedResource:
    address: str  # module.iam.aws_iam_role.execution
    type: str
    values: dict[str, Any]
    module: str  # module.iam ("" for the root module)
    name: str  # execution (without the index)
    references: dict[str, list[str]] = field(default_factory=dict)  # attribute -> references


@dataclass(frozen=True)
class PolicyDocument:
    """One policy document of the stack, where it lives and what kind of quota applies."""

    kind: str  # managed | inline | trust | key | bucket | topic | endpoint | repository
    address: str
    text: str
    document: dict[str, Any]
    owner: str = ""  # the role an inline policy belongs to (its address)

    def statements(self) -> list[dict[str, Any]]:
        found = self.document.get("Statement", [])
        return found if isinstance(found, list) else [found]


_POLICY_ATTRIBUTES = {
    "aws_iam_policy": ("policy", "managed"),
    "aws_iam_role_policy": ("policy", "inline"),
    "aws_kms_key": ("policy", "key"),
    "aws_s3_bucket_policy": ("policy", "bucket"),
    "aws_sns_topic_policy": ("policy", "topic"),
    "aws_vpc_endpoint": ("policy", "endpoint"),
    "aws_ecr_repository_policy": ("policy", "repository"),
}


class StackPlan:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.raw = plan
        self._config = _config_resources(plan.get("configuration", {}).get("root_module", {}))
        self.resources = list(self._planned(plan.get("planned_values", {}).get("root_module", {})))

    @classmethod
    def from_file(cls, text: str) -> StackPlan:
        return cls(json.loads(text))

    def _planned(self, module: dict[str, Any]) -> Iterator[PlannedResource]:
        for resource in module.get("resources", []):
            if resource.get("mode") != "managed":
                continue
            address = str(resource["address"])
            prefix = address.rsplit(".", 2)[0] if address.startswith("module.") else ""
            key = f"{prefix}.{resource['type']}.{resource['name']}".lstrip(".")
            yield PlannedResource(
                address,
                str(resource["type"]),
                dict(resource.get("values") or {}),
                prefix,
                str(resource["name"]),
                self._config.get(key, {}),
            )
        for child in module.get("child_modules", []):
            yield from self._planned(child)

    def output(self, name: str) -> str | None:
        """A root output's planned value when it is a known string."""
        found = self.raw.get("planned_values", {}).get("outputs", {}).get(name, {})
        value = found.get("value") if isinstance(found, dict) else None
        return value if isinstance(value, str) and not value.startswith("stub") else None

    def output_resources(self, name: str) -> list[str]:
        """The addresses of the resources a root output comes from (a list output names
        several), following module outputs."""
        root = self.raw.get("configuration", {}).get("root_module", {})
        refs = root.get("outputs", {}).get(name, {}).get("expression", {}).get("references", [])
        found: list[str] = []
        for ref in refs:
            if ref.startswith("module.") and ref.count(".") >= 2:
                _, module, output = ref.split(".", 2)
                call = root.get("module_calls", {}).get(module, {}).get("module", {})
                inner = call.get("outputs", {}).get(output, {}).get("expression", {})
                for target in inner.get("references", []):
                    parts = target.split(".")
                    address = (
                        f"module.{module}.{parts[0]}.{parts[-1] if len(parts) == 2 else parts[1]}"
                    )
                    if len(parts) >= 2 and parts[0].startswith("aws_") and address not in found:
                        found.append(address)
        return found

    def output_resource(self, name: str) -> str | None:
        """The resource address a root output comes from, following module outputs."""
        found = self.output_resources(name)
        return found[0] if found else None

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == resource_type]

    def configured(self, resource_type: str) -> list[tuple[str, dict[str, list[str]]]]:
        """Resources of the configuration (planned or not, e.g. ``for_each`` over an empty
        list): (address without index, attribute references)."""
        return [
            (key, refs) for key, refs in self._config.items() if key.split(".")[-2] == resource_type
        ]

    def policies(self) -> list[PolicyDocument]:
        """Every policy document whose JSON the plan knows (trust policies included)."""
        found: list[PolicyDocument] = []
        for resource in self.resources:
            attribute, kind = _POLICY_ATTRIBUTES.get(resource.type, ("", ""))
            if resource.type == "aws_iam_role":
                attribute, kind = "assume_role_policy", "trust"
            text = resource.values.get(attribute) if attribute else None
            # Absent (known after apply) or a computed value the provider fills in itself (the
            # offline stand-in's "stub-policy"): not a document this stack wrote.
            if not isinstance(text, str) or not text.lstrip().startswith("{"):
                continue
            owner = _role_of(resource) if kind == "inline" else ""
            found.append(PolicyDocument(kind, resource.address, text, json.loads(text), owner))
        return found


def _role_of(resource: PlannedResource) -> str:
    for reference in resource.references.get("role", []):
        if reference.startswith("aws_iam_role."):
            parts = reference.split(".")
            return ".".join(filter(None, [resource.module, parts[0], parts[1]]))
    return ""


def _config_resources(module: dict[str, Any], prefix: str = "") -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    for resource in module.get("resources", []):
        key = f"{prefix}.{resource['type']}.{resource['name']}".lstrip(".")
        refs = {
            name: list(expression.get("references", []))
            for name, expression in (resource.get("expressions") or {}).items()
            if isinstance(expression, dict)
        }
        each = resource.get("for_each_expression") or {}
        refs["for_each"] = list(each.get("references", []))
        found[key] = refs
    for name, call in (module.get("module_calls") or {}).items():
        found.update(
            _config_resources(call.get("module", {}), f"{prefix}.module.{name}".lstrip("."))
        )
    return found
