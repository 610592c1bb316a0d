"""Every IAM policy of every environment's plan fits IAM's size quotas (iam_policy_sizes.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from iam_policy_sizes import MANAGED_POLICY_LIMIT, measure, policy_size, too_large
from terraform_harness import ENVIRONMENTS


def _applied_root(plans: dict, environment: str) -> dict[str, Any]:
    root: dict[str, Any] = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    return root


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_policy_fits_the_iam_quotas(plans: dict, environment: str) -> None:
    root = _applied_root(plans, environment)
    measured = measure(root)
    kinds = {item.kind for item in measured}
    assert kinds == {"managed", "inline", "trust"}, measured
    # The four orchestrator policies (pipeline, serving, data, image publisher) at least.
    assert sum(item.kind == "managed" for item in measured) >= 4
    report = "\n".join(f"{m.kind:8} {m.size:6}/{m.limit} {m.name}" for m in measured)
    assert too_large(root) == [], report


def test_placeholders_count_at_their_worst_case_length() -> None:
    stub = '{"Resource":"arn:aws:stub:us-east-1:123456789012:aws_kms_key/3"}'
    real = (
        '{"Resource":"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}'
    )
    assert policy_size(stub) >= policy_size(real)
    assert policy_size('{ "a" :\n  "b" }') == len('{"a":"b"}')


def _module_with(resource_type: str, attribute: str, document: dict[str, Any]) -> dict[str, Any]:
    values = {attribute: json.dumps(document, indent=2), "role": "r"}
    resource = {
        "address": f"module.iam.{resource_type}.x",
        "mode": "managed",
        "type": resource_type,
    }
    return {"resources": [{**resource, "values": values}]}


def test_the_check_fires_on_the_old_single_orchestrator_policy(plans: dict) -> None:
    """The three orchestrator policies merged back into one, as it was before the split,
    exceed the managed-policy quota: the measurement catches the bug it was written for."""
    root = _applied_root(plans, "prod")
    statements: list[Any] = []
    for item in root["child_modules"]:
        for resource in item.get("resources", []):
            if resource["type"] == "aws_iam_policy" and resource["name"].startswith("orchestrator"):
                statements.extend(json.loads(resource["values"]["policy"])["Statement"])
    merged = {"Version": "2012-10-17", "Statement": statements}
    assert policy_size(json.dumps(merged)) > MANAGED_POLICY_LIMIT
    problems = too_large(_module_with("aws_iam_policy", "policy", merged))
    assert len(problems) == 1 and "managed policy" in problems[0]


def test_the_check_fires_on_inline_and_trust_policies() -> None:
    big = {"Statement": [{"Sid": "x" * 11000}]}
    assert too_large(_module_with("aws_iam_role_policy", "policy", big))
    assert too_large(_module_with("aws_iam_role", "assume_role_policy", {"Sid": "y" * 2100}))
