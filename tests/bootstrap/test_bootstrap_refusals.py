"""Every refusal of ``orchestrator bootstrap``, each fed its violation: bad inputs exit 2 with
the problem and the fix and change nothing; AWS refusing exits 1 naming the call; never a
traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from bootstrap_support import ACCOUNT, REGION, CallLog, write_environment
from botocore.awsrequest import AWSResponse

from orchestrator.bootstrap.names import bucket_name_problems
from orchestrator.cli import main

BUCKET = f"mlops-demo-dev-tfstate-{ACCOUNT}"


def bootstrap(envdir: Path, tfdir: Path, *extra: str, env: str = "dev") -> int:
    return main(["bootstrap", "--env", env, "--environments-dir", str(envdir),
                 "--terraform-dir", str(tfdir), *extra])  # fmt: skip


def nothing_created() -> bool:
    kms = boto3.client("kms", region_name=REGION)
    return boto3.client("s3").list_buckets()["Buckets"] == [] and kms.list_keys()["Keys"] == []


@pytest.mark.usefixtures("moto")
def test_the_local_environment_is_refused_because_it_has_no_state_bucket(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir, env="local") == 2
    err = capsys.readouterr().err
    assert "keeps no Terraform state" in err and "--env dev" in err and "Traceback" not in err


@pytest.mark.usefixtures("moto")
def test_credentials_of_another_account_exit_2_naming_both_accounts_and_change_nothing(
    tmp_path: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    envdir = write_environment(tmp_path / "environments", account_id="111122223333")
    assert bootstrap(envdir, tfdir) == 2
    err = capsys.readouterr().err
    assert "account 123456789012" in err and "account 111122223333" in err
    assert "AWS_PROFILE" in err and "account_id" in err
    assert calls.operations == ["sts:GetCallerIdentity"] and nothing_created()


@pytest.mark.usefixtures("moto")
def test_a_state_bucket_name_s3_would_refuse_exits_2_naming_the_rule(
    tmp_path: Path, tfdir: Path, calls: CallLog, capsys: pytest.CaptureFixture[str]
) -> None:
    # An aws environment without a terraform section may have the longest project (31) and
    # environment name (21); with one, both are short enough for any account id.
    name = "staging-eu-central-xy"
    envdir = write_environment(tmp_path / "environments", name=name, project="p" * 31)
    path = envdir / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    del data["terraform"]
    path.write_text(yaml.safe_dump(data))
    assert bootstrap(envdir, tfdir, env=name) == 2
    err = capsys.readouterr().err
    assert "74 characters, S3 allows 3 to 63" in err and "shorten or rename project" in err
    assert calls.operations == []


def test_bucket_names_are_checked_against_each_s3_naming_rule() -> None:
    assert bucket_name_problems(f"mlops-demo-dev-tfstate-{ACCOUNT}") == []
    assert "3 to 63" in bucket_name_problems("ab")[0]
    assert "adjacent dots" in " ".join(bucket_name_problems("a..b"))
    assert "IP address" in " ".join(bucket_name_problems("192.168.5.4"))
    assert "'xn--'" in " ".join(bucket_name_problems("xn--state"))
    assert "'-s3alias'" in " ".join(bucket_name_problems("state-s3alias"))
    assert "begin and end" in " ".join(bucket_name_problems("State-"))


@pytest.mark.usefixtures("moto")
def test_a_bucket_name_another_account_holds_exits_1_with_the_reason(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = "arn:aws:iam::999999999999:role/someone-else"
    other = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="other")["Credentials"]
    boto3.client("s3", region_name=REGION, aws_access_key_id=other["AccessKeyId"],
                 aws_secret_access_key=other["SecretAccessKey"],
                 aws_session_token=other["SessionToken"]).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})  # fmt: skip
    before = (tfdir / "backends" / "dev.s3.tfbackend").read_text()
    assert bootstrap(envdir, tfdir) == 1
    err = capsys.readouterr().err
    assert f"{BUCKET} is taken by another AWS account" in err and "Traceback" not in err
    assert (tfdir / "backends" / "dev.s3.tfbackend").read_text() == before


@pytest.mark.usefixtures("moto")
def test_a_backend_file_naming_other_state_is_refused_before_anything_changes(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tfdir / "backends" / "dev.s3.tfbackend"
    path.write_text('bucket = "acme-tf-state"\nkey = "mlops-demo/dev/terraform.tfstate"\n')
    assert bootstrap(envdir, tfdir) == 2
    err = capsys.readouterr().err
    assert "'acme-tf-state'" in err and "-migrate-state" in err
    assert path.read_text().startswith('bucket = "acme-tf-state"') and nothing_created()


@pytest.mark.usefixtures("moto")
def test_a_state_key_scheduled_for_deletion_exits_1_with_how_to_restore_it(
    envdir: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap(envdir, tfdir) == 0
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.describe_key(KeyId="alias/mlops-demo-dev-tfstate")["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    capsys.readouterr()
    assert bootstrap(envdir, tfdir) == 1
    err = capsys.readouterr().err
    assert "PendingDeletion" in err and "cancel-key-deletion" in err


@pytest.mark.usefixtures("moto")
def test_the_state_bucket_in_another_region_than_the_environment_exits_2(
    tmp_path: Path, tfdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("s3", region_name="us-west-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})  # fmt: skip
    envdir = write_environment(tmp_path / "environments")
    assert bootstrap(envdir, tfdir) == 2
    err = capsys.readouterr().err
    assert "exists in us-west-2" in err and f"says region {REGION}" in err


def _deny(operation: str) -> Any:
    def handler(model: Any, **_: Any) -> Any:
        if model.name != operation:
            return None
        body = {"Error": {"Code": "AccessDenied", "Message": f"not allowed to {operation}"}}
        return AWSResponse("https://s3.amazonaws.com", 403, {}, None), body

    return handler


@pytest.mark.usefixtures("moto")
def test_access_denied_exits_1_naming_the_call_and_the_permissions_document(
    envdir: Path, tfdir: Path, calls: CallLog, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from orchestrator.bootstrap import run

    counted = run.open_session

    def denying(profile: str | None = None) -> boto3.Session:
        session = counted(profile)
        session.events.register("before-call.s3.CreateBucket", _deny("CreateBucket"))
        return session

    monkeypatch.setattr(run, "open_session", denying)
    assert bootstrap(envdir, tfdir) == 1
    err = capsys.readouterr().err
    assert "s3:CreateBucket: access denied" in err and "docs/bootstrap.md" in err


@pytest.mark.usefixtures("moto")
def test_no_credentials_exit_2_before_any_call(
    envdir: Path, tfdir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert bootstrap(envdir, tfdir) == 2
    assert "no AWS credentials were found" in capsys.readouterr().err


def test_every_recorded_bootstrap_call_has_its_iam_actions_listed_in_the_docs() -> None:
    from orchestrator.bootstrap.permissions import BOOTSTRAP_ACTIONS, bootstrap_actions
    from orchestrator.preflight.iam_reference import expand

    repo = Path(__file__).resolve().parents[2]
    recorded = json.loads((repo / "orchestrator/preflight/aws_calls.json").read_text())
    unmapped = set(recorded["bootstrap"]) - set(BOOTSTRAP_ACTIONS)
    assert not unmapped, f"map these calls in orchestrator/bootstrap/permissions.py: {unmapped}"
    assert [action for action in bootstrap_actions() if not expand(action)] == []
    docs = (repo / "docs" / "bootstrap.md").read_text()
    assert [action for action in bootstrap_actions() if f"`{action}`" not in docs] == []
    # and the preflight holds the orchestrator's roles to the `calls` section only
    from orchestrator.preflight.inputs import recorded_calls

    assert {"kms:CreateKey", "s3:CreateBucket", "s3:PutBucketPolicy"} <= set(recorded["bootstrap"])
    assert not {"kms:CreateKey", "s3:CreateBucket", "s3:PutBucketPolicy"} & recorded_calls()
