"""``orchestrator bootstrap`` against moto, through ``orchestrator.cli.main``: the first run
creates the key and the bucket with every setting and writes the backend file; a second run
prints unchanged everywhere and sends no mutating call; a dry run sends none either and prints
the plan; drift is repaired step by step, keeping what is not bootstrap's."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from bootstrap_support import ACCOUNT, REGION, CallLog, write_environment

from orchestrator.cli import main

BUCKET = f"mlops-demo-dev-tfstate-{ACCOUNT}"
ALIAS = "alias/mlops-demo-dev-tfstate"


def bootstrap(envdir: Path, tfdir: Path, *extra: str, env: str = "dev") -> int:
    return main(["bootstrap", "--env", env, "--environments-dir", str(envdir),
                 "--terraform-dir", str(tfdir), *extra])  # fmt: skip


def statuses(out: str) -> dict[str, str]:
    table = out.split("\n\n", 1)[0]  # the table, not the planned calls after it
    rows = [line.split("  ") for line in table.splitlines()[2:] if line.strip()]
    parsed = {}
    for row in rows:
        cells = [cell.strip() for cell in row if cell.strip()]
        if len(cells) >= 2:
            parsed[cells[0]] = cells[1]
    return parsed


@pytest.mark.usefixtures("moto")
def test_the_first_run_creates_a_versioned_kms_encrypted_tls_only_private_bucket(
    envdir: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    out = capsys.readouterr().out
    assert statuses(out)["bucket"] == "created" and statuses(out)["kms key"] == "created"
    s3, kms = boto3.client("s3", region_name=REGION), boto3.client("kms", region_name=REGION)
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER" and key["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key["Arn"])["KeyRotationEnabled"]
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}  # fmt: skip
    assert rule["BucketKeyEnabled"] is True
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert set(block.values()) == {True} and len(block) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags["project"] == "mlops-demo" and tags["environment"] == "dev"
    assert "dynamodb" not in " ".join(calls.operations)  # the lock is an S3 lock file


@pytest.mark.usefixtures("moto")
def test_the_key_policy_lets_the_account_administer_and_use_the_key_only_through_s3(
    envdir: Path, tfdir: Path
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    kms = boto3.client("kms", region_name=REGION)
    arn = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]  # the key calls take no alias
    policy = json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    admin = by_sid["KeyAdministrationByAccount"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert "kms:PutKeyPolicy" in admin["Action"] and "kms:Decrypt" not in admin["Action"]
    use = by_sid["StateEncryptionThroughS3ByAccountPrincipals"]
    assert "kms:Decrypt" in use["Action"]
    assert use["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT}  # fmt: skip


@pytest.mark.usefixtures("moto")
def test_the_backend_file_names_the_bucket_key_region_kms_key_and_the_lock_file(
    envdir: Path, tfdir: Path
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    text = (tfdir / "backends" / "dev.s3.tfbackend").read_text()
    arn = boto3.client("kms", region_name=REGION).describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]
    assert text.startswith("# Written by `orchestrator bootstrap --env dev`")
    assert f'bucket       = "{BUCKET}"' in text
    assert 'key          = "mlops-demo/dev/terraform.tfstate"' in text
    assert f'region       = "{REGION}"' in text and f'kms_key_id   = "{arn}"' in text
    assert "use_lockfile = true" in text and "encrypt      = true" in text
    assert "CHANGE-ME" not in text and "dynamodb" not in text
    # the other environments' files are not touched
    assert "CHANGE-ME" in (tfdir / "backends" / "prod.s3.tfbackend").read_text()


@pytest.mark.usefixtures("moto")
def test_a_second_run_prints_unchanged_everywhere_and_sends_no_mutating_call(
    envdir: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    first = (tfdir / "backends" / "dev.s3.tfbackend").read_text()
    assert len(calls.mutating) >= 8
    capsys.readouterr()
    calls.operations.clear()
    assert bootstrap(envdir, tfdir) == 0
    seen = statuses(capsys.readouterr().out)
    assert len(seen) == 11 and set(seen.values()) == {"unchanged"}, seen
    assert calls.mutating == [] and calls.operations  # it read, and changed nothing
    assert (tfdir / "backends" / "dev.s3.tfbackend").read_text() == first


@pytest.mark.usefixtures("moto")
def test_a_dry_run_sends_no_mutating_call_writes_nothing_and_prints_the_planned_calls(
    envdir: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (tfdir / "backends" / "dev.s3.tfbackend").read_text()
    assert bootstrap(envdir, tfdir, "--dry-run") == 0
    out = capsys.readouterr().out
    assert calls.mutating == [] and "sts:GetCallerIdentity" in calls.operations
    assert (tfdir / "backends" / "dev.s3.tfbackend").read_text() == before
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("kms", region_name=REGION).list_keys()["Keys"] == []
    assert statuses(out)["bucket"] == "would create"
    planned_calls = (
        "kms:CreateKey",
        "kms:CreateAlias",
        "kms:EnableKeyRotation",
        "s3:CreateBucket",
        "s3:PutBucketVersioning",
        "s3:PutBucketEncryption",
        "s3:PutPublicAccessBlock",
        "s3:PutBucketPolicy",
        "s3:PutBucketTagging",
    )
    for planned in planned_calls:
        assert f"  {planned} " in out, planned
    assert f'"LocationConstraint": "{REGION}"' in out
    assert f"<ARN of the new key {ALIAS}>" in out and "use_lockfile = true" in out


@pytest.mark.usefixtures("moto")
def test_a_dry_run_after_a_run_plans_no_call(
    envdir: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    capsys.readouterr()
    calls.operations.clear()
    assert bootstrap(envdir, tfdir, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "planned calls (dry run, nothing was changed):\n  none" in out
    assert calls.mutating == []


@pytest.mark.usefixtures("moto")
def test_drift_is_repaired_step_by_step_keeping_other_policy_statements_and_tags(
    envdir: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    owner = {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    s3.put_bucket_ownership_controls(Bucket=BUCKET, OwnershipControls=owner)
    other = {"Sid": "Other", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
             "Resource": f"arn:aws:s3:::{BUCKET}"}  # fmt: skip
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17",
                                                          "Statement": [other]}))  # fmt: skip
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]})
    capsys.readouterr()
    calls.operations.clear()
    assert bootstrap(envdir, tfdir) == 0
    seen = statuses(capsys.readouterr().out)
    changed = {step for step, status in seen.items() if status == "updated"}
    assert changed == {"object ownership", "versioning", "public access block", "bucket policy",
                       "tags"}  # fmt: skip
    assert sorted(calls.mutating) == ["s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
                                      "s3:PutBucketTagging", "s3:PutBucketVersioning",
                                      "s3:PutPublicAccessBlock"]  # fmt: skip
    sids = {
        s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    }
    assert sids == {"Other", "DenyInsecureTransport"}
    tags = {t["Key"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags == {"team", "project", "environment", "managed-by"}


@pytest.mark.usefixtures("moto")
def test_a_key_with_rotation_off_and_another_policy_is_updated(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    kms = boto3.client("kms", region_name=REGION)
    arn = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["Arn"]
    kms.disable_key_rotation(KeyId=arn)
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}  # fmt: skip
    policy = json.dumps({"Version": "2012-10-17", "Statement": [root]})
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy)
    capsys.readouterr()
    assert bootstrap(envdir, tfdir) == 0
    seen = statuses(capsys.readouterr().out)
    assert seen["key rotation"] == "updated" and seen["key policy"] == "updated"
    assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]


@pytest.mark.usefixtures("moto")
def test_in_us_east_1_the_bucket_is_created_without_a_location_constraint(
    tmp_path: Path, tfdir: Path, calls: CallLog
) -> None:
    envdir = write_environment(tmp_path / "environments", region="us-east-1")
    assert bootstrap(envdir, tfdir) == 0
    s3 = boto3.client("s3", region_name="us-east-1")
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] is None
    assert 'region       = "us-east-1"' in (tfdir / "backends" / "dev.s3.tfbackend").read_text()
    assert bootstrap(envdir, tfdir) == 0  # and a second run there finds it in its region


@pytest.mark.usefixtures("moto")
def test_json_output_lists_each_step_with_its_calls(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir, "--output", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["bucket"] == BUCKET and report["dry_run"] is False
    steps = {step["step"]: step for step in report["steps"]}
    assert [c["call"] for c in steps["bucket"]["calls"]] == ["s3:CreateBucket"]
    assert "use_lockfile = true" in report["backend_file"]
