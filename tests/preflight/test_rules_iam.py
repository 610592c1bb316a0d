"""IAM document rules, each fed the violation it exists for and a document just inside it."""

from __future__ import annotations

import json

import pytest
from plan_builder import PlanBuilder, allow

from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.rules.iam_policies import policy_size
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import load_environment

DEV = load_environment("dev")


def findings(plan: PlanBuilder, rule: str) -> list[str]:
    report = run_preflight(PreflightInputs(DEV, plan=plan.build()), only=frozenset({rule}))
    assert report.ran == [rule]
    return [f"{f.resource}: {f.problem}" for f in report.findings]


def padded(target: int) -> dict[str, object]:
    """A policy document of exactly ``target`` characters without white space."""
    document = allow("s3:GetObject", resource="arn:aws:s3:::b/")
    base = policy_size(json.dumps(document))
    document["Statement"][0]["Resource"] = "arn:aws:s3:::b/" + "x" * (target - base)  # type: ignore[index]
    assert policy_size(json.dumps(document)) == target
    return document


@pytest.mark.parametrize(("size", "fires"), [(6144, False), (6145, True)])
def test_a_managed_policy_over_6144_characters_is_reported(size: int, fires: bool) -> None:
    plan = PlanBuilder().policy("iam", "big", padded(size))
    found = findings(plan, "iam-policy-size")
    assert bool(found) is fires
    if fires:
        assert "6145 characters" in found[0] and "6144" in found[0]


def test_white_space_is_not_counted() -> None:
    text = json.dumps(padded(6144), indent=8)
    assert len(text) > 6144 and policy_size(text) == 6144


def test_a_role_s_inline_policies_count_together() -> None:
    plan = PlanBuilder().role("iam", "jobs")
    plan.inline("iam", "one", "jobs", padded(5200)).inline("iam", "two", "jobs", padded(5100))
    found = findings(plan, "iam-policy-size")
    assert len(found) == 1 and "10300 characters" in found[0] and "aws_iam_role.jobs" in found[0]


def test_a_trust_policy_over_2048_characters_is_reported() -> None:
    principals = [f"arn:aws:iam::111122223333:role/r{i:04d}" for i in range(60)]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
        ],
    }
    found = findings(PlanBuilder().role("iam", "wide", trust), "iam-policy-size")
    assert found and "trust policy" in found[0]


def test_an_action_iam_does_not_know_is_reported_and_wildcards_are_not() -> None:
    document = allow("sagemaker:CreateTrainingJobs", "sagemaker:Describe*", "s3:*", "kms:Decrypt")
    found = findings(PlanBuilder().policy("iam", "p", document), "iam-unknown-action")
    assert len(found) == 1 and "sagemaker:CreateTrainingJobs names no action" in found[0]


def test_a_wildcard_that_matches_nothing_is_reported() -> None:
    found = findings(
        PlanBuilder().policy("iam", "p", allow("sagemaker:Frobnicate*")), "iam-unknown-action"
    )
    assert found


def test_a_condition_key_no_service_sends_is_reported() -> None:
    document = allow("kms:Decrypt")
    document["Statement"][0]["Condition"] = {  # type: ignore[index]
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:ViaServic": "x"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    found = findings(PlanBuilder().policy("iam", "p", document), "iam-unknown-condition-key")
    assert len(found) == 1 and "kms:ViaServic " in found[0]


ROOT = "arn:aws:iam::111122223333:root"


def _key_policy(*principals: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": ROOT},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "KeyUse", "Effect": "Allow", "Principal": {"AWS": list(principals)},
             "Action": ["kms:Decrypt"], "Resource": "*"},
        ],
    }  # fmt: skip


def test_a_statement_naming_a_principal_twice_is_reported() -> None:
    ci = "arn:aws:iam::111122223333:role/mlops-ci-dev"
    jobs = "arn:aws:iam::111122223333:role/mlops-demo-dev-sagemaker-execution"
    twice = PlanBuilder().resource(
        "kms", "aws_kms_key", "data", {"policy": json.dumps(_key_policy(ci, jobs, ci))}
    )
    found = findings(twice, "iam-duplicate-principal")
    assert len(found) == 1 and "statement KeyUse" in found[0] and f"AWS:{ci}" in found[0]
    once = PlanBuilder().resource(
        "kms", "aws_kms_key", "data", {"policy": json.dumps(_key_policy(ci, jobs))}
    )
    assert findings(once, "iam-duplicate-principal") == []
