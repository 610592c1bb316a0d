"""Small Terraform plans (the ``terraform show -json`` shape) for feeding one violation at a
time to a preflight rule: planned values, the configuration's references, root outputs."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.preflight.plan import StackPlan


class PlanBuilder:
    def __init__(self, account_id: str | None = "111122223333", allowed: bool = True) -> None:
        """A plan whose provider refuses other accounts (``allowed``) and whose account_id
        variable is ``account_id``, as the rendered stack's is."""
        self.account_id = account_id
        self.allowed = allowed
        self.modules: dict[str, list[dict[str, Any]]] = {}
        self.config: dict[str, list[dict[str, Any]]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.module_outputs: dict[str, dict[str, Any]] = {}

    def resource(
        self,
        module: str,
        type_: str,
        name: str,
        values: dict[str, Any],
        **references: list[str],
    ) -> PlanBuilder:
        address = f"module.{module}.{type_}.{name}"
        self.modules.setdefault(module, []).append(
            {"address": address, "mode": "managed", "type": type_, "name": name, "values": values}
        )
        expressions = {k: {"references": v} for k, v in references.items() if k != "for_each"}
        entry: dict[str, Any] = {
            "address": f"{type_}.{name}",
            "type": type_,
            "name": name,
            "expressions": expressions,
        }
        if "for_each" in references:
            entry["for_each_expression"] = {"references": references["for_each"]}
        self.config.setdefault(module, []).append(entry)
        return self

    def policy(self, module: str, name: str, document: dict[str, Any]) -> PlanBuilder:
        return self.resource(module, "aws_iam_policy", name, {"policy": json.dumps(document)})

    def role(self, module: str, name: str, trust: dict[str, Any] | None = None) -> PlanBuilder:
        trust = trust or {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return self.resource(
            module, "aws_iam_role", name, {"assume_role_policy": json.dumps(trust)}
        )

    def inline(self, module: str, name: str, role: str, document: dict[str, Any]) -> PlanBuilder:
        return self.resource(
            module,
            "aws_iam_role_policy",
            name,
            {"policy": json.dumps(document), "role": "x"},
            role=[f"aws_iam_role.{role}.id", f"aws_iam_role.{role}"],
        )

    def attach(self, module: str, name: str, policy: str, role_ref: str) -> PlanBuilder:
        refs = {"policy_arn": [f"aws_iam_policy.{policy}.arn"]}
        if role_ref.startswith("var."):
            refs |= {"role": ["each.value"], "for_each": [role_ref]}
        else:
            refs |= {"role": [f"aws_iam_role.{role_ref}.name"]}
        return self.resource(module, "aws_iam_role_policy_attachment", name, {}, **refs)

    def output(self, name: str, module: str, resource: str, value: Any = None) -> PlanBuilder:
        self.outputs[name] = {"expression": {"references": [f"module.{module}.{name}"]}}
        self.module_outputs.setdefault(module, {})[name] = {
            "expression": {"references": [f"{resource}.arn", resource]}
        }
        return self

    def build(self) -> StackPlan:
        provider = {"expressions": {"allowed_account_ids": {"references": ["var.account_id"]}}}
        return StackPlan(
            {
                "variables": {"account_id": {"value": self.account_id}},
                "planned_values": {
                    "outputs": {},
                    "root_module": {
                        "child_modules": [
                            {"address": f"module.{m}", "resources": r}
                            for m, r in self.modules.items()
                        ]
                    },
                },
                "configuration": {
                    "provider_config": {"aws": provider if self.allowed else {}},
                    "root_module": {
                        "outputs": self.outputs,
                        "module_calls": {
                            m: {
                                "module": {
                                    "resources": r,
                                    "outputs": self.module_outputs.get(m, {}),
                                }
                            }
                            for m, r in self.config.items()
                        },
                    },
                },
            }
        )


def allow(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }
