"""Issue #22's backup half in Terraform, checked on the plans the other plan tests already build
(conftest.py's ``plans``: no extra plan). prod replicates its data and artifacts buckets to
another region with a key of that region, locks its artifacts bucket in governance mode and
backs up its Terraform state with AWS Backup; dev and staging do none of it.

The offline provider fills every computed ARN with the same placeholder, so which key or role a
resource points at is checked on the plan's ``configuration`` (the references Terraform
resolved), and the rendered policies on the applied state.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest
from iam_policy_audit import policy_documents
from terraform_harness import ENVIRONMENTS, REPO_ROOT, TERRAFORM_DIR
from test_terraform_plan import of_type

from orchestrator.settings.disaster_recovery import RECOVERY_WINDOW_DAYS

DR_RESOURCE_TYPES = (
    "aws_s3_bucket_replication_configuration",
    "aws_s3_bucket_object_lock_configuration",
    "aws_backup_vault",
    "aws_backup_plan",
    "aws_backup_selection",
)


def _applied(plans: dict, environment: str) -> dict[str, Any]:
    root: dict[str, Any] = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    return root


def _variables(plans: dict, environment: str) -> dict[str, Any]:
    return {k: v["value"] for k, v in plans[environment]["planned"]["variables"].items()}


def _module_config(plans: dict, environment: str, name: str) -> dict[str, Any]:
    calls = plans[environment]["planned"]["configuration"]["root_module"]["module_calls"]
    module: dict[str, Any] = calls[name]["module"]
    return module


def _config_resource(module: dict[str, Any], address: str) -> dict[str, Any]:
    (found,) = [r for r in module["resources"] if r["address"] == address]
    return found


def _statements(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    document = json.loads(resource["values"]["policy"])
    return {s["Sid"]: s for s in document["Statement"]}


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_dev_and_staging_have_no_replication_object_lock_or_backup(
    plans: dict, environment: str
) -> None:
    variables = _variables(plans, environment)
    assert not variables["replication"]["enabled"]
    assert not variables["object_lock"]["enabled"]
    assert not variables["backup"]["enabled"]
    root = _applied(plans, environment)
    for resource_type in DR_RESOURCE_TYPES:
        assert of_type(root, resource_type) == [], resource_type
    addresses = [r["address"] for r in of_type(root, "aws_kms_key")]
    assert all(a.startswith("module.kms.") for a in addresses), addresses


def test_prod_replicates_data_and_artifacts_with_sse_kms_and_delete_markers(plans: dict) -> None:
    variables = _variables(plans, "prod")
    replication = variables["replication"]
    assert replication["enabled"] and replication["region"] != variables["region"]
    root = _applied(plans, "prod")
    configs = {
        r["values"]["bucket"]: r["values"]
        for r in of_type(root, "aws_s3_bucket_replication_configuration")
    }
    names = {
        r["values"]["tags"]["Purpose"]: r["values"]["bucket"]
        for r in of_type(root, "aws_s3_bucket")
    }
    assert set(configs) == {names["data"], names["artifacts"]}
    assert {"data-replica", "artifacts-replica"} <= set(names)
    for bucket, config in configs.items():
        (rule,) = config["rule"]
        assert rule["status"] == "Enabled"
        assert rule["filter"] and rule["filter"][0]["prefix"] is None, "every object is replicated"
        assert rule["delete_marker_replication"] == [{"status": "Enabled"}], bucket
        (criteria,) = rule["source_selection_criteria"]
        assert criteria["sse_kms_encrypted_objects"] == [{"status": "Enabled"}], bucket
        (destination,) = rule["destination"]
        assert destination["encryption_configuration"][0]["replica_kms_key_id"]
        assert destination["replication_time"] == [] and destination["metrics"] == []  # no RTC
    # Which key and bucket: the references Terraform resolved.
    module = _module_config(plans, "prod", "replication")
    expressions = _config_resource(module, "aws_s3_bucket_replication_configuration.this")
    (rule,) = expressions["expressions"]["rule"]
    (destination,) = rule["destination"]
    assert "aws_s3_bucket.replica" in destination["bucket"]["references"]
    key = destination["encryption_configuration"][0]["replica_kms_key_id"]["references"]
    assert "aws_kms_key.replica" in key


def test_replicas_live_in_the_replica_region_with_a_key_of_their_own(plans: dict) -> None:
    planned = plans["prod"]["planned"]
    providers = planned["configuration"]["provider_config"]
    assert providers["aws.replica"]["alias"] == "replica"
    assert (
        "var.replication.region" in providers["aws.replica"]["expressions"]["region"]["references"]
    )
    module = _module_config(plans, "prod", "replication")
    where = {r["address"]: r.get("provider_config_key", "") for r in module["resources"]}
    replica_side = [a for a in where if a.endswith(".replica")]
    assert "aws_kms_key.replica" in replica_side and "aws_s3_bucket.replica" in replica_side
    assert all(where[a].endswith("aws.replica") for a in replica_side), where
    source_side = ["aws_s3_bucket_replication_configuration.this", "aws_iam_role.replication"]
    assert all(not where[a].endswith("aws.replica") for a in source_side), where
    root = _applied(plans, "prod")
    replicas = [
        r for r in of_type(root, "aws_s3_bucket_versioning") if r["address"].startswith("module.r")
    ]
    assert len(replicas) == 2
    assert all(r["values"]["versioning_configuration"][0]["status"] == "Enabled" for r in replicas)
    sse = _config_resource(module, "aws_s3_bucket_server_side_encryption_configuration.replica")
    (rule,) = sse["expressions"]["rule"]
    default = rule["apply_server_side_encryption_by_default"][0]
    assert "aws_kms_key.replica" in default["kms_master_key_id"]["references"]
    assert default["sse_algorithm"]["constant_value"] == "aws:kms"


def test_replication_role_has_the_documented_least_privilege_policy(plans: dict) -> None:
    variables = _variables(plans, "prod")
    root = _applied(plans, "prod")
    (policy,) = [
        r for r in of_type(root, "aws_iam_role_policy") if r["address"].startswith("module.rep")
    ]
    statements = _statements(policy)
    actions = {sid: sorted(_list(s["Action"])) for sid, s in statements.items()}
    assert actions == {
        "ReadReplicationConfiguration": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        "ReadSourceVersions": [
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionTagging",
        ],
        "WriteReplicas": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
        "DecryptSourceObjects": ["kms:Decrypt"],
        "EncryptReplicas": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        "ReadSourceObjectLock": ["s3:GetObjectLegalHold", "s3:GetObjectRetention"],
    }
    source = statements["DecryptSourceObjects"]["Condition"]["StringEquals"]["kms:ViaService"]
    replica = statements["EncryptReplicas"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert source == f"s3.{variables['region']}.amazonaws.com"
    assert replica == f"s3.{variables['replication']['region']}.amazonaws.com"
    assert all("replica" in r for r in statements["WriteReplicas"]["Resource"])
    locked = statements["ReadSourceObjectLock"]["Resource"]
    assert len(locked) == 1 and "-artifacts-" in locked[0], "only the locked bucket"
    (trust,) = json.loads(
        next(r for r in of_type(root, "aws_iam_role") if r["name"] == "replication")["values"][
            "assume_role_policy"
        ]
    )["Statement"]
    # AWS's documented replication trust policy: S3, no condition keys S3 might not send.
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"} and "Condition" not in trust


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_key_policies_let_the_replication_role_decrypt_the_source_and_encrypt_replicas(
    plans: dict,
) -> None:
    variables = _variables(plans, "prod")
    root = _applied(plans, "prod")
    keys = {r["values"]["tags"]["Purpose"]: r for r in of_type(root, "aws_kms_key")}
    assert set(keys) == {"data", "artifacts", "logs", "replica", "backup"}
    role = next(r for r in of_type(root, "aws_iam_role") if r["name"] == "replication")
    role_arn = role["values"]["arn"]
    for purpose in ("data", "artifacts"):
        decrypt = _statements(keys[purpose])["ReplicationRoleDecryptsSourceObjects"]
        assert decrypt["Principal"] == {"AWS": role_arn} and decrypt["Action"] == "kms:Decrypt"
        via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
        assert via == f"s3.{variables['region']}.amazonaws.com"
        context = decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
        # Its own bucket only, with the S3 Bucket Key's bucket-ARN context.
        assert len(context) == 2 and all(f"-{purpose}-" in arn for arn in context)
    assert "ReplicationRoleDecryptsSourceObjects" not in _statements(keys["logs"])
    replica = _statements(keys["replica"])
    encrypt = replica["ReplicationRoleEncryptsReplicas"]
    assert encrypt["Principal"] == {"AWS": role_arn}
    assert sorted(encrypt["Action"]) == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    region = variables["replication"]["region"]
    assert encrypt["Condition"]["StringEquals"]["kms:ViaService"] == f"s3.{region}.amazonaws.com"
    recovery = replica["KeyUseForRecovery"]
    assert recovery["Principal"]["AWS"] == variables["orchestrator_principal_arns"]
    assert sorted(recovery["Action"]) == ["kms:Decrypt", "kms:DescribeKey"], "read-only"
    assert set(replica) == {
        "KeyAdministration",
        "ReplicationRoleEncryptsReplicas",
        "KeyUseForRecovery",
    }


def test_prod_locks_the_artifacts_bucket_in_governance_mode_without_replacing_it(
    plans: dict,
) -> None:
    variables = _variables(plans, "prod")
    days = variables["object_lock"]["retention_days"]
    root = _applied(plans, "prod")
    locks = {
        r["address"]: r["values"] for r in of_type(root, "aws_s3_bucket_object_lock_configuration")
    }
    source = locks["module.storage.aws_s3_bucket_object_lock_configuration.artifacts[0]"]
    assert source["bucket"].startswith(f"{variables['project']}-prod-artifacts-")
    assert source["object_lock_enabled"] == "Enabled"
    assert source["rule"] == [
        {"default_retention": [{"days": days, "mode": "GOVERNANCE", "years": None}]}
    ]
    replica = locks[
        'module.replication[0].aws_s3_bucket_object_lock_configuration.replica["artifacts"]'
    ]
    assert replica["rule"] == source["rule"], "locked objects replicate only to a locked bucket"
    assert len(locks) == 2, "data and its replica are not locked"
    # The existing bucket is not replaced: aws_s3_bucket's object_lock_enabled (ForceNew) is
    # never set on the source buckets; the replica, a new bucket, is created locked.
    storage = _module_config(plans, "prod", "storage")
    assert (
        "object_lock_enabled" not in _config_resource(storage, "aws_s3_bucket.this")["expressions"]
    )
    buckets = {r["address"]: r["values"] for r in of_type(root, "aws_s3_bucket")}
    assert buckets['module.replication[0].aws_s3_bucket.replica["artifacts"]'][
        "object_lock_enabled"
    ]
    changes = plans["prod"]["applied"]["resource_changes"]
    assert all(c["change"]["actions"] == ["no-op"] for c in changes if c["type"] == "aws_s3_bucket")


# What would let a principal of the stack defeat Object Lock or erase versions.
LOCK_DEFEATING_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:PutBucketObjectLockConfiguration",
)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_policy_lets_anyone_bypass_governance_or_erase_versions(
    plans: dict, environment: str
) -> None:
    found = []
    for document in policy_documents(_applied(plans, environment)):
        for statement in _list(document.document.get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            for pattern in _list(statement.get("Action")):
                hits = [a for a in LOCK_DEFEATING_ACTIONS if fnmatchcase(a, str(pattern))]
                found += [f"{document.address}: {pattern} allows {a}" for a in hits]
    assert found == []


def test_noncurrent_versions_outlive_the_recovery_window_everywhere(plans: dict) -> None:
    for environment in ENVIRONMENTS:
        days = _variables(plans, environment)["noncurrent_version_retention_days"]
        assert days >= RECOVERY_WINDOW_DAYS
        for lifecycle in of_type(
            _applied(plans, environment), "aws_s3_bucket_lifecycle_configuration"
        ):
            rules = {rule["id"]: rule for rule in lifecycle["values"]["rule"]}
            expiry = rules["expire-noncurrent-versions"]["noncurrent_version_expiration"][0]
            assert expiry["noncurrent_days"] == days, lifecycle["address"]


def test_the_recovery_window_is_one_number_in_docs_terraform_and_settings() -> None:
    docs = (REPO_ROOT / "docs" / "dr.md").read_text()
    (promised,) = re.findall(r"recovery window is (\d+) days", docs)
    variables = (TERRAFORM_DIR / "variables.tf").read_text()
    assert f"var.noncurrent_version_retention_days >= {RECOVERY_WINDOW_DAYS}" in variables
    assert int(promised) == RECOVERY_WINDOW_DAYS


def test_prod_backs_up_the_state_bucket_with_aws_backup(plans: dict) -> None:
    variables = _variables(plans, "prod")
    backup = variables["backup"]
    root = _applied(plans, "prod")
    (plan,) = of_type(root, "aws_backup_plan")
    (rule,) = plan["values"]["rule"]
    assert rule["schedule"] == backup["schedule"]
    assert rule["lifecycle"][0]["delete_after"] == backup["retention_days"]
    (vault,) = of_type(root, "aws_backup_vault")
    assert rule["target_vault_name"] == vault["values"]["name"]
    module = _module_config(plans, "prod", "backup")
    vault_config = _config_resource(module, "aws_backup_vault.this")
    assert "aws_kms_key.vault" in vault_config["expressions"]["kms_key_arn"]["references"]
    (selection,) = of_type(root, "aws_backup_selection")
    (arn,) = selection["values"]["resources"]
    assert arn.endswith(f":s3:::{variables['project']}-prod-tfstate-{_account(plans)}")
    attachments = sorted(
        a["values"]["policy_arn"].rsplit("/", 1)[-1]
        for a in of_type(root, "aws_iam_role_policy_attachment")
        if a["address"].startswith("module.backup[0].")
    )
    assert attachments == [
        "AWSBackupServiceRolePolicyForS3Backup",
        "AWSBackupServiceRolePolicyForS3Restore",
    ]
    (role,) = [r for r in of_type(root, "aws_iam_role") if r["address"].startswith("module.backup")]
    (trust,) = json.loads(role["values"]["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    vault_key = [
        k for k in of_type(root, "aws_kms_key") if k["values"]["tags"]["Purpose"] == "backup"
    ]
    statements = _statements(vault_key[0])
    via = statements["KeyUseThroughAwsBackup"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == f"backup.{variables['region']}.amazonaws.com"


def test_the_disaster_recovery_output_names_what_a_runbook_needs(plans: dict) -> None:
    outputs = {e: plans[e]["planned"]["planned_values"]["outputs"] for e in ENVIRONMENTS}
    dev = outputs["dev"]["disaster_recovery"]["value"]
    assert dev == {
        "replica_region": None,
        "replica_buckets": None,
        "replica_kms_key_arn": None,
        "object_lock": None,
        "backup_vault_name": None,
    }
    prod = plans["prod"]["applied"]["prior_state"]["values"]["outputs"]["disaster_recovery"]
    value = prod["value"]
    assert value["replica_region"] == _variables(plans, "prod")["replication"]["region"]
    assert set(value["replica_buckets"]) == {"data", "artifacts"}
    assert value["object_lock"] == {"mode": "GOVERNANCE", "days": 30}
    assert value["backup_vault_name"].endswith("-prod-vault") and value["replica_kms_key_arn"]


def _account(plans: dict) -> str:
    value: str = plans["prod"]["applied"]["prior_state"]["values"]["outputs"]["account_id"]["value"]
    return value
