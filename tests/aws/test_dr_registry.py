"""Disaster-recovery drills for the model registry against moto (issue #22, docs/dr.md): back up
a registry of 3 groups and 10 versions (mixed approval statuses, reasons, metrics, lineage) and
its deployment history, delete everything, restore, and compare field by field; restore into a
second region, pointed at the replicated artifacts; a non-empty target group is refused by
name; a second restore changes nothing; a dry run changes nothing; missing artifacts exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_extensions import ACCOUNT, REGION, backend

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.backends.aws.backend import aws_backend
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.cli import main
from orchestrator.dr.registry_restore import fields
from orchestrator.flows import history
from orchestrator.settings.environment import load_environment
from orchestrator.settings.stack_outputs import StackOutputs

SECOND_REGION = "us-west-2"
BASE = "mlops-dev-models"
GROUPS = {BASE: 4, f"{BASE}-iris": 3, f"{BASE}-wine": 3}  # 10 versions
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-dev@sha256:{'a' * 64}"


def stack(region: str, artifacts: str) -> StackOutputs:
    return StackOutputs(
        region=region, account_id=ACCOUNT, environment="dev", project="mlops",
        data_bucket=f"mlops-dev-data-{region}", artifacts_bucket=artifacts,
        data_kms_key_arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/data",
        artifacts_kms_key_arn=f"arn:aws:kms:{region}:{ACCOUNT}:key/artifacts",
        sagemaker_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/mlops-dev-execution",
        pipeline_role_arn=f"arn:aws:iam::{ACCOUNT}:role/mlops-dev-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/mlops-dev-orchestrator",
        model_package_group_name=BASE, pipeline_name="mlops-dev-training",
        endpoint_name="mlops-dev-endpoint",
        ecr_repository_url=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/mlops-dev",
    )  # fmt: skip


class Site:
    """One region's stack: its environment folder and stack-outputs file, for the CLI."""

    def __init__(self, tmp: Path, region: str, artifacts: str) -> None:
        self.region, self.outputs = region, stack(region, artifacts)
        self.envs = tmp / f"envs-{region}"
        self.envs.mkdir()
        (self.envs / "dev.yaml").write_text(
            f"name: dev\nbackend: aws\nproject: mlops\nregion: {region}\n"
            f'account_id: "{ACCOUNT}"\ndataset:\n  data: s3://mlops-dev-data/d.csv\n'
            "  schema: s3://mlops-dev-data/s.yaml\nendpoint:\n  require_alarms: false\n"
        )
        (self.envs / "dev.tfvars.json").write_text('{"environment": "dev"}\n')
        self.outputs_file = tmp / f"outputs-{region}.json"
        self.outputs_file.write_text(json.dumps(self.outputs.to_terraform_json()))
        s3 = boto3.client("s3", region_name=region)
        config = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(
            Bucket=artifacts, **({"CreateBucketConfiguration": config} if config else {})
        )
        self.registry = AwsModelRegistry(boto3.client("sagemaker", region_name=region))

    def cli(self, *words: str) -> list[str]:
        return [*words, "--env", "dev", "--environments-dir", str(self.envs),
                "--stack-outputs", str(self.outputs_file)]  # fmt: skip

    def snapshot(self) -> dict[str, list[Any]]:
        groups = [g for g in self.registry.list_groups() if g.startswith(BASE)]
        return {g: self.registry.list_versions(g) for g in groups}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = main([*argv, "--output", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


def seed(site: Site) -> None:
    """3 groups, 10 versions: statuses and reasons mixed, metrics, lineage, model objects."""
    s3 = boto3.client("s3", region_name=site.region)
    statuses = ["Approved", "Rejected", "PendingManualApproval", "Approved", "Rejected"]
    number = 0
    for group, count in GROUPS.items():
        site.registry.ensure_group(group)
        for index in range(count):
            number += 1
            key = f"pipelines/{group}/v{index}/model.tar.gz"
            s3.put_object(Bucket=site.outputs.artifacts_bucket, Key=key, Body=b"m%d" % number)
            report = f"s3://{site.outputs.artifacts_bucket}/pipelines/{group}/v{index}/eval.json"
            s3.put_object(
                Bucket=site.outputs.artifacts_bucket, Key=report.split("/", 3)[3], Body=b"{}"
            )
            site.registry.register(
                group, model_data_url=f"s3://{site.outputs.artifacts_bucket}/{key}",
                image_uri=IMAGE, description=f"model {number}", metrics_uri=report,
                metrics={"auc": 0.8 + number / 100, "log_loss": 1 / (number + 3)},
                metadata={"CommitId": f"c0ffee{number:02d}", "schema_name": group[-4:],
                          "test_data": f"s3://{site.outputs.artifacts_bucket}/held-out/{number}/"},
            )  # fmt: skip
            status = statuses[number % len(statuses)]
            if status != "PendingManualApproval":
                site.registry.set_status(group, index + 1, status, f"reviewed {number}")  # type: ignore[arg-type]


def record_history(site: Site, clients_session: boto3.Session | None = None) -> None:
    config = load_environment("dev", site.envs)
    with aws_backend(config, site.outputs) as made:
        package = site.registry.get(BASE, 1)
        for outcome in ("InService", "RolledBack"):
            history.record(made, history.DeploymentEvent(
                at=history.now(), who="arn:aws:iam::123456789012:user/ci", environment="dev",
                endpoint=site.outputs.endpoint_name, command="deploy", action="created",
                outcome=outcome, package=history.PackageRecord.of(package),  # type: ignore[arg-type]
            ))  # fmt: skip


def wipe(region: str, site: Site) -> None:
    """Everything gone: SageMaker has no delete for these in moto, so its state is cleared."""
    sm = backend(ACCOUNT, region)
    sm.model_packages.clear()
    sm.model_package_name_mapping.clear()
    sm.model_package_groups.clear()
    s3 = boto3.resource("s3", region_name=region)
    s3.Bucket(site.outputs.artifacts_bucket).objects.filter(Prefix="deployments/").delete()


@pytest.fixture
def home(aws: AwsClients, tmp_path: Path) -> Site:
    site = Site(tmp_path, REGION, "mlops-dev-artifacts")
    seed(site)
    record_history(site)
    return site


def take_backup(home: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, result, err = run(home.cli("backup", "--to", str(tmp_path / "backups"), *extra), capsys)
    assert code == 0, err
    assert result["versions"] == 10 and result["history_events"] == 2
    return str(result["backup"])


def test_backup_delete_everything_restore_compares_field_by_field(
    home: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = home.snapshot()
    assert sum(len(v) for v in before.values()) == 10
    events_before = [e.model_dump() for e in _events(home)]
    where = take_backup(home, tmp_path, capsys)
    manifest = json.loads((Path(where) / "manifest.json").read_text())
    assert manifest["environment_file"].startswith("name: dev")
    assert manifest["tfvars"] == '{"environment": "dev"}\n'
    assert manifest["git"]["commit"] and manifest["source"]["region"] == REGION
    assert manifest["deployed"]["serving"]["commit"] == "c0ffee01"

    wipe(REGION, home)
    assert home.snapshot() == {} and _events(home) == []
    code, result, err = run(home.cli("restore", "--from", where), capsys)
    assert code == 0, err
    after = home.snapshot()
    assert list(after) == list(before)
    for group, versions in before.items():
        assert [(p.version, p.arn) for p in after[group]] == [(p.version, p.arn) for p in versions]
        assert [fields(p) for p in after[group]] == [fields(p) for p in versions]
    assert {p.approval_status for v in after.values() for p in v} == {
        "Approved", "Rejected", "PendingManualApproval"}  # fmt: skip
    assert [e.model_dump() for e in _events(home)] == events_before
    assert result["restored"] == {p.arn: p.arn for v in before.values() for p in v}

    code, again, err = run(home.cli("restore", "--from", where), capsys)  # idempotent
    assert code == 0, err
    assert all(g["register"] == [] for g in again["groups"]) and again["history_events"] == []
    assert home.snapshot() == after


def test_restore_into_a_second_region_points_at_the_replicated_artifacts(
    home: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = take_backup(home, tmp_path, capsys)
    replica = Site(tmp_path, SECOND_REGION, "mlops-dev-artifacts-replica")
    mapping = "s3://mlops-dev-artifacts/=s3://mlops-dev-artifacts-replica/"
    code, _, err = run(replica.cli("restore", "--from", where, "--artifacts-map", mapping), capsys)
    assert code == 1 and "missing" in err  # not replicated yet: named, nothing registered
    assert "s3://mlops-dev-artifacts-replica/pipelines/mlops-dev-models/v0/model.tar.gz" in err
    assert replica.snapshot() == {}

    source = boto3.client("s3", region_name=REGION)
    target = boto3.client("s3", region_name=SECOND_REGION)
    for item in source.list_objects_v2(Bucket="mlops-dev-artifacts", Prefix="pipelines/")[
        "Contents"
    ]:
        body = source.get_object(Bucket="mlops-dev-artifacts", Key=item["Key"])["Body"].read()
        target.put_object(Bucket="mlops-dev-artifacts-replica", Key=item["Key"], Body=body)
    new_image = IMAGE.replace(REGION, SECOND_REGION)
    images = f"{IMAGE}={new_image}"
    argv = replica.cli(
        "restore", "--from", where, "--artifacts-map", mapping, "--images-map", images
    )
    code, _, err = run(argv, capsys)
    assert code == 0, err
    before, after = home.snapshot(), replica.snapshot()
    for group, versions in before.items():
        for old, new in zip(versions, after[group], strict=True):
            assert new.arn == old.arn.replace(f":{REGION}:", f":{SECOND_REGION}:")
            moved = {k: _replica(v) for k, v in fields(old).items()}
            moved["metadata"] = {k: _replica(v) for k, v in old.metadata.items()}
            moved["image_uri"] = new_image
            assert fields(new) == moved


def test_restore_is_refused_into_a_group_holding_other_versions(
    home: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = take_backup(home, tmp_path, capsys)
    wipe(REGION, home)
    home.registry.ensure_group(f"{BASE}-wine")
    home.registry.register(
        f"{BASE}-wine", model_data_url="s3://elsewhere/m.tar.gz", image_uri=IMAGE
    )
    code, _, err = run(home.cli("restore", "--from", where), capsys)
    assert code == 2
    assert f"group {BASE}-wine: v1 (differs in" in err and "model_data_url" in err
    assert "Traceback" not in err
    assert home.snapshot() == {f"{BASE}-wine": home.registry.list_versions(f"{BASE}-wine")}


def test_restore_dry_run_lists_and_changes_nothing(
    home: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = take_backup(home, tmp_path, capsys)
    wipe(REGION, home)
    code, result, err = run(home.cli("restore", "--from", where, "--dry-run"), capsys)
    assert code == 0, err
    assert result["dry_run"] is True
    assert sum(len(g["register"]) for g in result["groups"]) == 10
    assert len(result["history_events"]) == 2
    assert home.snapshot() == {} and _events(home) == []


def _replica(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return value.replace("mlops-dev-artifacts/", "mlops-dev-artifacts-replica/")


def _events(site: Site) -> list[history.DeploymentEvent]:
    config = load_environment("dev", site.envs)
    with aws_backend(config, site.outputs) as made:
        return history.read(made)
