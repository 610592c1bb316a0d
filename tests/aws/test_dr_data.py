"""Point-in-time restore drills against moto (issue #22, docs/dr.md): after an object was
overwritten, another deleted and a third created, ``orchestrator data restore --to-time``
brings back the exact bytes, removes the later object (a delete marker: every version kept),
and its dry run lists each change and changes nothing; an unversioned bucket is refused."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_extensions import ACCOUNT

from orchestrator.backends.aws.clients import AwsClients
from orchestrator.cli import main
from orchestrator.settings.stack_outputs import StackOutputs

BUCKET = "mlops-dev-data"


@pytest.fixture
def site(aws: AwsClients, outputs: StackOutputs, tmp_path: Path) -> list[str]:
    s3 = boto3.client("s3", region_name=outputs.region)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="mlops-dev-unversioned")
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "dev.yaml").write_text(
        f"name: dev\nbackend: aws\nproject: mlops\nregion: {outputs.region}\n"
        f'account_id: "{ACCOUNT}"\n'
        "dataset:\n  data: s3://mlops-dev-data/d.csv\n  schema: s3://mlops-dev-data/s.yaml\n"
    )
    stack = tmp_path / "outputs.json"
    stack.write_text(json.dumps(outputs.to_terraform_json()))
    return ["--env", "dev", "--environments-dir", str(envs), "--stack-outputs", str(stack)]


def _history(s3: Any) -> tuple[int, int]:
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix="datasets/")
    return len(listed.get("Versions", [])), len(listed.get("DeleteMarkers", []))


def test_data_restore_after_overwrite_and_delete_restores_exact_bytes_and_removes_new_object(
    site: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=BUCKET, Key="datasets/a.csv", Body=b"a,1\n")
    s3.put_object(Bucket=BUCKET, Key="datasets/b.csv", Body=b"b,1\n")
    time.sleep(1.1)  # S3 keeps LastModified to the second
    moment = datetime.now(UTC).isoformat()
    time.sleep(1.1)
    s3.put_object(Bucket=BUCKET, Key="datasets/a.csv", Body=b"a,2 overwritten\n")
    s3.delete_object(Bucket=BUCKET, Key="datasets/b.csv")
    s3.put_object(Bucket=BUCKET, Key="datasets/c.csv", Body=b"c,created later\n")
    argv = ["data", "restore", *site, "--prefix", f"s3://{BUCKET}/datasets/", "--to-time", moment]
    recorded = _history(s3)

    assert main([*argv, "--dry-run", "--output", "json"]) == 0
    planned = json.loads(capsys.readouterr().out)
    assert planned["dry_run"] is True
    assert {(c["uri"].rsplit("/", 1)[1], c["action"]) for c in planned["changes"]} == {
        ("a.csv", "restore"), ("b.csv", "restore"), ("c.csv", "delete")}  # fmt: skip
    assert _history(s3) == recorded  # the dry run wrote nothing
    assert s3.get_object(Bucket=BUCKET, Key="datasets/a.csv")["Body"].read() == b"a,2 overwritten\n"

    assert main([*argv, "--output", "json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert len(done["changes"]) == 3
    assert s3.get_object(Bucket=BUCKET, Key="datasets/a.csv")["Body"].read() == b"a,1\n"
    assert s3.get_object(Bucket=BUCKET, Key="datasets/b.csv")["Body"].read() == b"b,1\n"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="datasets/")["Contents"]]
    assert keys == ["datasets/a.csv", "datasets/b.csv"]
    versions, markers = _history(s3)
    assert versions == recorded[0] + 2 and markers == recorded[1] + 1  # nothing erased

    assert main([*argv, "--output", "json"]) == 0  # again: already as it was
    again = json.loads(capsys.readouterr().out)
    assert again["changes"] == [] and again["unchanged"] == 3


@pytest.mark.parametrize(
    ("prefix", "when", "expected"),
    [
        ("s3://mlops-dev-unversioned/x/", "2024-01-01T00:00:00Z", "versioning never enabled"),
        (f"s3://{BUCKET}/x/", "yesterday", "not an ISO 8601 time"),
        (f"s3://{BUCKET}/x/", "2024-01-01T00:00:00", "no time zone"),
        ("/tmp/x", "2024-01-01T00:00:00Z", "not an s3:// URI"),
    ],
)
def test_data_restore_refuses_what_it_cannot_do_by_name(
    site: list[str], capsys: pytest.CaptureFixture[str], prefix: str, when: str, expected: str
) -> None:
    code = main(["data", "restore", *site, "--prefix", prefix, "--to-time", when])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err
