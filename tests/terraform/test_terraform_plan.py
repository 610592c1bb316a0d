"""A plan per environment, driven through tftest, with checks on the plan JSON.

The root module is copied to a temporary directory with a local-backend override (the real
backend is S3), planned with tests/fixtures/<env>.tfvars.json, then applied against the provider
(the offline stand-in fills computed values with placeholders) and planned again so that every
rendered policy document is present in the plan's prior state for the least-privilege audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from iam_policy_audit import RESOURCE_STAR_ALLOWLIST, policy_documents, violations
from terraform_harness import (
    ENVIRONMENTS,
    TERRAFORM_DIR,
)

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
    "serving_role_arn",
    "pipeline_role_arn",
    "orchestrator_policy_arn",
    "orchestrator_serving_policy_arn",
    "orchestrator_data_policy_arn",
    "orchestrator_policy_arns",
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


def dr_settings(planned: dict[str, Any]) -> tuple[list[str], bool]:
    """The buckets an environment replicates (empty: none) and whether it backs up its state."""
    replication = planned["variables"]["replication"]["value"]
    replicated = list(replication["buckets"]) if replication["enabled"] else []
    return replicated, bool(planned["variables"]["backup"]["value"]["enabled"])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_outputs_contract(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    assert set(planned["planned_values"]["outputs"]) >= REQUIRED_OUTPUTS
    assert planned["planned_values"]["outputs"]["environment"]["value"] == environment


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_bucket_is_kms_encrypted_versioned_and_private(plans: dict, environment: str) -> None:
    root = plans[environment]["planned"]["planned_values"]["root_module"]
    buckets = {r["values"]["bucket"]: r for r in of_type(root, "aws_s3_bucket")}
    replicated, _ = dr_settings(plans[environment]["planned"])
    # data, artifacts, access logs, and a replica per replicated bucket (the same checks apply).
    assert len(buckets) == 3 + len(replicated)
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
    replicated, backed_up = dr_settings(planned)
    # data, artifacts, logs; the replica region's key; the backup vault's key.
    assert len(keys) == 3 + bool(replicated) + backed_up
    assert all(k["values"]["enable_key_rotation"] for k in keys)
    retention = planned["variables"]["log_retention_days"]["value"]
    applied_root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    groups = of_type(applied_root, "aws_cloudwatch_log_group")
    # The endpoint's, the orchestrator's and the flow logs' groups; not SageMaker's account-wide
    # job groups (manage_sagemaker_job_log_groups is false in every environment).
    assert len(groups) == 3
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


# The one exception: AWS Backup's service role gets the AWS-managed S3 backup and restore
# policies AWS documents for it (modules/backup/main.tf says why they are not copied).
AWS_BACKUP_MANAGED_POLICIES = {
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
}


def test_no_aws_managed_policies_are_attached(plans: dict) -> None:
    for environment in ENVIRONMENTS:
        root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
        for attachment in of_type(root, "aws_iam_role_policy_attachment"):
            arn = attachment["values"]["policy_arn"]
            if attachment["address"].startswith("module.backup[0]."):
                assert arn.split(":iam::aws:policy/")[-1] in AWS_BACKUP_MANAGED_POLICIES, arn
                continue
            assert ":aws:policy/" not in arn


def test_resource_star_allowlist_is_documented() -> None:
    readme = (TERRAFORM_DIR / "README.md").read_text()
    missing = [action for action in RESOURCE_STAR_ALLOWLIST if f"`{action}`" not in readme]
    assert missing == [], "document each Resource '*' action with its reason in terraform/README.md"


ACCOUNT_WIDE_LOG_GROUPS = {
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/TransformJobs",
}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_account_wide_sagemaker_log_groups_are_not_created(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    root = planned["planned_values"]["root_module"]
    names = {group["values"]["name"] for group in of_type(root, "aws_cloudwatch_log_group")}
    assert names & ACCOUNT_WIDE_LOG_GROUPS == set()
    endpoint = planned["planned_values"]["outputs"]["endpoint_name"]["value"]
    assert f"/aws/sagemaker/Endpoints/{endpoint}" in names
    # The outputs still name them: jobs write there and the orchestrator reads their logs.
    outputs = planned["planned_values"]["outputs"]["log_group_names"]["value"]
    assert set(outputs.values()) >= ACCOUNT_WIDE_LOG_GROUPS


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_budget_filters_on_the_tag_the_orchestrator_sets(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    root = planned["planned_values"]["root_module"]
    project = planned["variables"]["project"]["value"]
    (budget,) = of_type(root, "aws_budgets_budget")
    assert budget["values"]["cost_filter"] == []
    (expression,) = budget["values"]["filter_expression"]
    tags = [(t["key"], t["values"]) for clause in expression["and"] for t in clause["tags"]]
    # Both tags: environments sharing one account keep separate budgets.
    assert tags == [("project", [project]), ("environment", [environment])]
    # orchestrator/backends/aws/* and pipeline/security.py tag with lower-case `project`; the
    # stack's own resources carry the same key.
    tagged = [r for r in resources(root) if isinstance(r.get("values", {}).get("tags"), dict)]
    assert tagged and all(r["values"]["tags"].get("project") == project for r in tagged)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_key_policies_name_every_role_that_uses_the_keys(plans: dict, environment: str) -> None:
    applied = plans[environment]["applied"]["prior_state"]["values"]
    root = applied["root_module"]
    roles = {r["name"]: r["values"]["arn"] for r in of_type(root, "aws_iam_role")}
    principals = plans[environment]["planned"]["variables"]["orchestrator_principal_arns"]["value"]
    assert principals, "an environment without orchestrator principals cannot use its keys"
    expected = {roles["execution"], roles["serving"], roles["pipeline"], *principals}
    for key in of_type(root, "aws_kms_key"):
        statements = {s.get("Sid"): s for s in json.loads(key["values"]["policy"])["Statement"]}
        assert "KeyAdministration" in statements, "operators must keep a key-administrator path"
        # logs: services only; replica and backup keys: tests/terraform/test_terraform_dr.py.
        if key["values"]["tags"].get("Purpose") not in ("data", "artifacts"):
            continue
        users = statements["KeyUseByProjectPrincipals"]["Principal"]["AWS"]
        assert set(users) == expected


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_models_run_as_the_serving_role_and_jobs_as_the_jobs_role(
    plans: dict, environment: str
) -> None:
    root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    inline = {
        r["name"]: json.loads(r["values"]["policy"]) for r in of_type(root, "aws_iam_role_policy")
    }
    serving = {s["Sid"]: s for s in inline["serving"]["Statement"]}
    jobs = {s["Sid"]: s for s in inline["execution"]["Statement"]}
    assert serving["ReadRollbackAlarms"]["Action"] == ["cloudwatch:DescribeAlarms"]
    assert "ReadRollbackAlarms" not in jobs
    assert not any("Endpoints" in arn for arn in jobs["WriteJobLogs"]["Resource"])
    assert not any("TrainingJobs" in arn for arn in serving["WriteServingLogs"]["Resource"])


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_interface_endpoints_only_serve_this_account(plans: dict, environment: str) -> None:
    root = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    account = plans[environment]["applied"]["prior_state"]["values"]["outputs"]["account_id"][
        "value"
    ]
    interface = [
        e
        for e in of_type(root, "aws_vpc_endpoint")
        if e["values"]["vpc_endpoint_type"] == "Interface"
    ]
    assert len(interface) == 8
    for endpoint in interface:
        (statement,) = json.loads(endpoint["values"]["policy"])["Statement"]
        condition = statement["Condition"]["StringEquals"]["aws:PrincipalAccount"]
        assert condition == account, endpoint["address"]


def test_the_autoscaling_service_linked_role_is_created_once_per_account(plans: dict) -> None:
    """The fixtures share one placeholder account: dev, the first of it, creates the role."""
    created = {}
    for environment in ENVIRONMENTS:
        root = plans[environment]["planned"]["planned_values"]["root_module"]
        created[environment] = [
            r["values"]["aws_service_name"] for r in of_type(root, "aws_iam_service_linked_role")
        ]
    assert created == {
        "dev": ["sagemaker.application-autoscaling.amazonaws.com"],
        "staging": [],
        "prod": [],
    }
