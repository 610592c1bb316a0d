"""Which policy documents apply to which principal of the stack, read from the plan."""

from __future__ import annotations

from orchestrator.preflight.plan import PolicyDocument, StackPlan

ORCHESTRATOR_ROLES_VARIABLE = "var.orchestrator_role_names"


def _policy_address(module: str, references: list[str]) -> str | None:
    for reference in references:
        parts = reference.split(".")
        if len(parts) >= 2 and parts[0] == "aws_iam_policy":
            return ".".join(filter(None, [module, parts[0], parts[1]]))
    return None


def _attached(plan: StackPlan, wanted: str) -> set[str]:
    """Addresses of managed policies attached (in the configuration) to ``wanted``: a role
    address, or the orchestrator roles variable."""
    found: set[str] = set()
    for address, refs in plan.configured("aws_iam_role_policy_attachment"):
        module = address.rsplit(".", 2)[0] if address.startswith("module.") else ""
        roles = refs.get("role", []) + refs.get("for_each", [])
        role_names = {".".join(filter(None, [module, *r.split(".")[:2]])) for r in roles}
        if wanted in roles or wanted in role_names:
            policy = _policy_address(module, refs.get("policy_arn", []))
            if policy:
                found.add(policy)
    return found


def _managed(plan: StackPlan, addresses: set[str]) -> list[PolicyDocument]:
    return [
        d for d in plan.policies() if d.kind == "managed" and d.address.split("[")[0] in addresses
    ]


def role_policies(plan: StackPlan, role: str) -> list[PolicyDocument]:
    """The inline and attached managed policies of the role at ``role`` (an address)."""
    inline = [d for d in plan.policies() if d.kind == "inline" and d.owner == role]
    return inline + _managed(plan, _attached(plan, role))


# The root output that lists every policy the CI / orchestrator principal needs (the stack's
# contract with whoever attaches them to principals outside orchestrator_role_names).
ORCHESTRATOR_POLICIES_OUTPUT = "orchestrator_policy_arns"


def orchestrator_policies(plan: StackPlan) -> list[PolicyDocument]:
    """The managed policies for the CI / orchestrator principal: those the stack attaches to
    ``orchestrator_role_names`` directly, and those its ``orchestrator_policy_arns`` output
    lists."""
    listed = {
        address
        for address in plan.output_resources(ORCHESTRATOR_POLICIES_OUTPUT)
        if ".aws_iam_policy." in address
    }
    return _managed(plan, _attached(plan, ORCHESTRATOR_ROLES_VARIABLE) | listed)
