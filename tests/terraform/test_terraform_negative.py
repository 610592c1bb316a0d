"""The suite fails on the mistakes it exists to catch.

Each test breaks a copy of a module in a temporary directory the way a careless change would
(a misspelt argument, a value of the wrong type, a bucket without SSE-KMS, a "*" action) and
asserts that validate, terraform test or the policy audit reports it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from iam_policy_audit import PolicyDocument, violations
from terraform_harness import MODULES_DIR, copy_tree, run_terraform


def broken_module(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of modules/<name> with one textual change in main.tf (which must apply)."""
    copy = copy_tree(MODULES_DIR / name, tmp_path / name)
    main = copy / "main.tf"
    text = main.read_text()
    assert old in text, f"{old!r} not found in modules/{name}/main.tf; update this test"
    main.write_text(text.replace(old, new, 1))
    return copy


def test_a_misspelt_argument_fails_validate(tmp_path: Path, tf_env: dict[str, str]) -> None:
    module = broken_module(
        tmp_path, "kms", "enable_key_rotation     = true", "enable_key_rotaton = true"
    )
    assert run_terraform(["init", "-backend=false", "-input=false"], module, tf_env).returncode == 0
    result = run_terraform(["validate", "-no-color"], module, tf_env)
    assert result.returncode != 0
    assert "Unsupported argument" in result.output and "enable_key_rotaton" in result.output


def test_a_wrong_type_fails_validate(tmp_path: Path, tf_env: dict[str, str]) -> None:
    module = broken_module(tmp_path, "registry", "scan_on_push = true", 'scan_on_push = ["yes"]')
    assert run_terraform(["init", "-backend=false", "-input=false"], module, tf_env).returncode == 0
    result = run_terraform(["validate", "-no-color"], module, tf_env)
    assert result.returncode != 0
    assert "Incorrect attribute value type" in result.output, result.output


def test_a_bucket_without_sse_kms_fails_terraform_test(
    tmp_path: Path, tf_env: dict[str, str]
) -> None:
    module = broken_module(
        tmp_path, "storage", 'sse_algorithm     = "aws:kms"', 'sse_algorithm     = "AES256"'
    )
    assert run_terraform(["init", "-backend=false", "-input=false"], module, tf_env).returncode == 0
    assert run_terraform(["validate", "-no-color"], module, tf_env).returncode == 0
    result = run_terraform(["test", "-no-color"], module, tf_env)
    assert result.returncode != 0
    assert "Every bucket must default to SSE-KMS" in result.output, result.output


def _document(statement: dict, resource_type: str = "aws_iam_role_policy") -> PolicyDocument:
    return PolicyDocument("module.iam.x", resource_type, "policy", {"Statement": [statement]})


@pytest.mark.parametrize("action", ["*", "s3:*", ["s3:GetObject", "kms:*"]])
def test_audit_flags_wildcard_actions(action: object) -> None:
    document = _document({"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::b/*"})
    assert any("wildcard action" in problem for problem in violations(document))


def test_audit_flags_resource_star_outside_the_allowlist() -> None:
    document = _document({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"})
    assert violations(document) == [
        "module.iam.x (policy) statement 0: s3:GetObject on Resource '*' is not in the allowlist"
    ]


def test_audit_accepts_allowlisted_resource_star_and_deny_statements() -> None:
    allowed = _document({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})
    deny = _document({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    key_policy = _document(
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}, "aws_kms_key"
    )
    assert violations(allowed) == violations(deny) == violations(key_policy) == []


def test_audit_flags_not_action() -> None:
    document = _document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert any("NotAction" in problem for problem in violations(document))
    assert json.dumps(document.document)  # the document stays JSON-serialisable


def test_audit_flags_an_endpoint_policy_without_the_account_perimeter() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "sagemaker:*", "Resource": "*"}
    open_endpoint = _document(statement, "aws_vpc_endpoint")
    assert any("wildcard action" in problem for problem in violations(open_endpoint))
    perimeter = {**statement, "Condition": {"StringEquals": {"aws:PrincipalAccount": "1"}}}
    assert violations(_document(perimeter, "aws_vpc_endpoint")) == []
    # The perimeter exemption is for endpoint policies only, never for identity policies.
    assert violations(_document(perimeter)) != []


def test_audit_flags_put_metric_data_without_its_namespace_condition() -> None:
    """PutMetricData on "*" is allowlisted only with a cloudwatch:namespace condition: the
    orchestrator's grant without it could write into Model Monitor's alarmed namespace."""
    limited = {
        "Sid": "PublishAdHocDriftMetrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": "MLOps/ModelMonitor"}},
    }
    assert violations(_document(limited)) == []
    unlimited = {key: value for key, value in limited.items() if key != "Condition"}
    assert violations(_document(unlimited)) == [
        "module.iam.x (policy) statement PublishAdHocDriftMetrics: cloudwatch:PutMetricData on "
        "Resource '*' without a cloudwatch:namespace condition"
    ]
    other_key = {**limited, "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    assert violations(_document(other_key)) != []
