"""A plan per environment, driven through tftest, with checks on the plan JSON.

The root module is copied to a temporary directory with a local-backend override (the real
backend is S3), planned with tests/fixtures/<env>.tfvars.json, then applied against the provider
(the offline stand-in fills computed values with placeholders) and planned again so that every
rendered policy document is present in the plan's prior state for the least-privilege audit.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest
from iam_policy_audit import RESOURCE_STAR_ALLOWLIST, policy_documents, violations
from terraform_harness import (
    ENVIRONMENTS,
    FIXTURES_DIR,
    TERRAFORM_DIR,
    TERRAFORM_SHIM,
    copy_tree,
    run_terraform,
)

LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
REQUIRED_OUTPUTS = {
    "region",
    "account_id",
    "environment",
    "project",
    "data_bucket",
    "artifacts_bucket",
    "access_logs_bucket",
    "data_kms_key_arn",
    "artifacts_kms_key_arn",
    "logs_kms_key_arn",
    "sagemaker_execution_role_arn",
    "pipeline_role_arn",
    "orchestrator_policy_arn",
    "private_subnet_ids",
    "sagemaker_security_group_ids",
    "vpc_id",
    "model_package_group_name",
    "ecr_repository_url",
    "alerts_topic_arn",
    "log_group_names",
    "pipeline_name",
    "endpoint_name",
}


def resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


def of_type(module: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in resources(module) if r["type"] == resource_type and r["mode"] == "managed"]


def build_plans(workdir: Path, tf_env: dict[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per environment: the first plan, and the plan taken after applying it."""
    copy_tree(TERRAFORM_DIR, workdir)
    (workdir / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
    result = run_terraform(["init", "-input=false"], workdir, tf_env)
    assert result.returncode == 0, result.output
    runner = tftest.TerraformTest(workdir, binary=str(TERRAFORM_SHIM), env=tf_env)
    plans: dict[str, dict[str, dict[str, Any]]] = {}
    for environment in ENVIRONMENTS:
        var_file = str(FIXTURES_DIR / f"{environment}.tfvars.json")
        state = str(workdir / f"{environment}.tfstate")
        first = runner.plan(output=True, tf_var_file=var_file, state=state)
        runner.apply(tf_var_file=var_file, state=state)
        second = runner.plan(output=True, tf_var_file=var_file, state=state, refresh=False)
        plans[environment] = {"planned": first._raw, "applied": second._raw}
    return plans


@pytest.fixture(scope="session")
def plans(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """The plans, built once per test run even when xdist spreads these tests over workers.

    Building takes tens of seconds; the first worker builds under a file lock in the temp
    directory all workers share, the others read its JSON.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / "terraform-plans.json"
    with (shared / "terraform-plans.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.is_file():
            return json.loads(cache.read_text())
        plans = build_plans(shared / "terraform-plan-workdir", tf_env)
        cache.write_text(json.dumps(plans))
        return plans


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_outputs_contract(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    assert set(planned["planned_values"]["outputs"]) >= REQUIRED_OUTPUTS
    assert planned["planned_values"]["outputs"]["environment"]["value"] == environment


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_bucket_is_kms_encrypted_versioned_and_private(plans: dict, environment: str) -> None:
    root = plans[environment]["planned"]["planned_values"]["root_module"]
    buckets = {r["values"]["bucket"]: r for r in of_type(root, "aws_s3_bucket")}
    assert len(buckets) == 3
    encryption = {
        r["values"]["bucket"]: r["values"]["rule"]
        for r in of_type(root, "aws_s3_bucket_server_side_encryption_configuration")
    }
    versioning = {
        r["values"]["bucket"]: r["values"]["versioning_configuration"][0]["status"]
        for r in of_type(root, "aws_s3_bucket_versioning")
    }
    public_blocks = {
        r["values"]["bucket"]: r["values"]
        for r in of_type(root, "aws_s3_bucket_public_access_block")
    }
    for name in buckets:
        rules = encryption.get(name)
        assert rules, f"bucket {name} has no server-side encryption configuration"
        default = rules[0]["apply_server_side_encryption_by_default"][0]
        assert default["sse_algorithm"] == "aws:kms", f"bucket {name} is not SSE-KMS"
        assert rules[0]["bucket_key_enabled"] is True, f"bucket {name} has no bucket key"
        assert versioning.get(name) == "Enabled", f"bucket {name} is not versioned"
        block = public_blocks[name]
        flags = (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
        assert all(block[flag] is True for flag in flags), f"bucket {name} is not private"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_force_destroy_only_where_the_environment_allows_it(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    allowed = planned["variables"]["force_destroy"]["value"]
    root = planned["planned_values"]["root_module"]
    assert {r["values"]["force_destroy"] for r in of_type(root, "aws_s3_bucket")} == {allowed}
    if environment == "prod":
        assert allowed is False


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_network_is_private_and_spans_the_zones(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    root = planned["planned_values"]["root_module"]
    zones = planned["variables"]["availability_zones"]["value"]
    subnets = of_type(root, "aws_subnet")
    assert sorted(s["values"]["availability_zone"] for s in subnets) == sorted(zones)
    assert all(s["values"]["map_public_ip_on_launch"] is False for s in subnets)
    assert of_type(root, "aws_internet_gateway") == [] and of_type(root, "aws_nat_gateway") == []
    for rule in of_type(root, "aws_vpc_security_group_egress_rule"):
        assert rule["values"].get("cidr_ipv4") is None and rule["values"].get("cidr_ipv6") is None
    endpoints = of_type(root, "aws_vpc_endpoint")
    interface = [e for e in endpoints if e["values"]["vpc_endpoint_type"] == "Interface"]
    assert len(interface) == 8 and all(e["values"]["private_dns_enabled"] for e in interface)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_keys_rotate_and_logs_are_encrypted_with_retention(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    root = planned["planned_values"]["root_module"]
    keys = of_type(root, "aws_kms_key")
    assert len(keys) == 3 and all(k["values"]["enable_key_rotation"] for k in keys)
    retention = planned["variables"]["log_retention_days"]["value"]
    applied_root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    groups = of_type(applied_root, "aws_cloudwatch_log_group")
    assert len(groups) == 6
    assert all(g["values"]["kms_key_id"] for g in groups)
    assert {g["values"]["retention_in_days"] for g in groups} == {retention}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_least_privilege_over_every_policy_document(plans: dict, environment: str) -> None:
    applied = plans[environment]["applied"]
    documents = list(policy_documents(applied["prior_state"]["values"]["root_module"]))
    kinds = {document.resource_type for document in documents}
    # Identity, trust, key, bucket, topic and endpoint policies must all have been rendered.
    expected = {"aws_iam_role", "aws_iam_role_policy", "aws_iam_policy", "aws_kms_key"}
    assert expected | {"aws_s3_bucket_policy", "aws_sns_topic_policy", "aws_vpc_endpoint"} <= kinds
    assert len(documents) >= 15
    found = [problem for document in documents for problem in violations(document)]
    assert found == []


def test_no_aws_managed_policies_are_attached(plans: dict) -> None:
    for environment in ENVIRONMENTS:
        root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
        for attachment in of_type(root, "aws_iam_role_policy_attachment"):
            assert ":aws:policy/" not in attachment["values"]["policy_arn"]


def test_resource_star_allowlist_is_documented() -> None:
    readme = (TERRAFORM_DIR / "README.md").read_text()
    missing = [action for action in RESOURCE_STAR_ALLOWLIST if f"`{action}`" not in readme]
    assert missing == [], "document each Resource '*' action with its reason in terraform/README.md"
