"""``orchestrator promote`` (issue #17) against moto in two accounts and two real registries on
127.0.0.1 (each standing for its account's ECR, its only user the login that account's
GetAuthorizationToken gives): the Approved dev package becomes a staging package with its
artifacts, held-out rows, schema, evaluation report and image (same digest) copied into the
staging account, lineage naming the source; prod gets PendingManualApproval; a second promote
changes nothing; one shared account needs no source credentials; every refusal exits 2 before
anything is written; a registry failure leaves no package registered."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from ecr_images import OCI_MANIFEST, blobs_for, manifest_for
from local_registry import LocalRegistry, running_registry, upload_image
from ml_containers.data.bundled import write_schema
from moto import mock_aws

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.cli import main
from orchestrator.settings.stack_outputs import StackOutputs

pytestmark = pytest.mark.xdist_group("container-image")

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
DEV_ACCOUNT = "111111111111"
STAGING_ACCOUNT = "123456789012"  # the ambient credentials' account in moto
READER = f"arn:aws:iam::{DEV_ACCOUNT}:role/mlops-demo-dev-promotion-reader"
MODEL = b"model-bytes" * 100


BASELINE_STATISTICS = b'{"version": 0.0, "dataset": {"item_count": 2}, "features": []}'
BASELINE_CONSTRAINTS = b'{"version": 0.0, "features": []}'


def prefix(environment: str) -> str:
    return f"mlops-demo-{environment}"


def outputs(environment: str, account: str, registry: str) -> StackOutputs:
    p, kms = prefix(environment), f"arn:aws:kms:{REGION}:{account}:key"
    return StackOutputs(
        region=REGION, account_id=account, environment=environment, project="mlops-demo",
        data_bucket=f"{p}-data-{account}", artifacts_bucket=f"{p}-artifacts-{account}",
        data_kms_key_arn=f"{kms}/data", artifacts_kms_key_arn=f"{kms}/artifacts",
        sagemaker_execution_role_arn=f"arn:aws:iam::{account}:role/{p}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{account}:role/{p}-sagemaker-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{account}:policy/{p}-orchestrator",
        model_package_group_name=f"{p}-models", pipeline_name=f"{p}-training",
        endpoint_name=f"{p}-endpoint", ecr_repository_url=f"{registry}/{p}",
    )  # fmt: skip


def environment_file(folder: Path, name: str, account: str) -> None:
    data = yaml.safe_load((REPO / "environments" / f"{name}.yaml").read_text())
    text = yaml.safe_dump(data, sort_keys=False).replace("111122223333", account)
    data = yaml.safe_load(text)
    data.update(region=REGION, account_id=account)
    bucket = f"{prefix(name)}-data-{account}"
    data["dataset"] = {"data": f"s3://{bucket}/d/", "schema": f"s3://{bucket}/d/schema.yaml"}
    data["terraform"]["network"]["availability_zones"] = [f"{REGION}a", f"{REGION}b"]
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


def session_of(account: str) -> boto3.Session:
    if account == STAGING_ACCOUNT:
        return boto3.Session(region_name=REGION)
    role = f"arn:aws:iam::{account}:role/setup"
    found = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="setup")["Credentials"]
    return boto3.Session(
        aws_access_key_id=found["AccessKeyId"], aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"], region_name=REGION,
    )  # fmt: skip


def login_of(session: boto3.Session) -> tuple[str, str]:
    token = session.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(token["authorizationToken"]).decode().partition(":")
    return user, password


class World:
    """Two accounts, their buckets and registries, the environments and outputs files."""

    def __init__(self, tmp: Path, registries: dict[str, LocalRegistry]) -> None:
        self.tmp, self.registries = tmp, registries
        self.envdir = tmp / "environments"
        self.envdir.mkdir()
        self.accounts = {"dev": DEV_ACCOUNT, "staging": STAGING_ACCOUNT, "prod": STAGING_ACCOUNT}
        self.files: dict[str, Path] = {}
        for name, account in self.accounts.items():
            environment_file(self.envdir, name, account)
            host = registries["dev" if name == "dev" else "staging"].host
            stack = outputs(name, account, host)
            self.files[name] = tmp / f"{name}-outputs.json"
            self.files[name].write_text(json.dumps(stack.to_terraform_json()))
            s3 = session_of(account).client("s3")
            for bucket in (stack.data_bucket, stack.artifacts_bucket):
                s3.create_bucket(Bucket=bucket)
            schema = tmp / f"{name}.schema.yaml"
            write_schema("breast_cancer", schema)  # dataset.schema: the group's dataset
            s3.put_object(Bucket=stack.data_bucket, Key="d/schema.yaml", Body=schema.read_bytes())

    def dev_package(
        self,
        status: str = "Approved",
        tag: str = "abc123",
        *,
        test_data_slash: bool = True,
        auc: float = 0.99,
        held_out: tuple[bytes, bytes] = (b"1,2\n", b"benign\n"),
        baseline: bool = False,
    ) -> str:
        """An evaluated dev version, registered as the pipeline registers one (its Register
        step records test_data as Preprocess's output URI, without a final slash)."""
        session = session_of(DEV_ACCOUNT)
        s3, artifacts = session.client("s3"), f"{prefix('dev')}-artifacts-{DEV_ACCOUNT}"
        objects = {
            "models/v1/model.tar.gz": MODEL, "runs/batch/batch.csv": held_out[0],
            "runs/batch/labels.csv": held_out[1],
            "runs/schema/schema.yaml": (self.tmp / "dev.schema.yaml").read_bytes(),
            "runs/evaluation/evaluation.json": b'{"metrics": {}}',
        }  # fmt: skip
        if baseline:  # Evaluate writes the drift baseline beside its report
            objects["runs/evaluation/statistics.json"] = BASELINE_STATISTICS
            objects["runs/evaluation/constraints.json"] = BASELINE_CONSTRAINTS
        for key, body in objects.items():
            s3.put_object(Bucket=artifacts, Key=key, Body=body)
        text, digest, _ = manifest_for("dev-image")
        upload_image(self.registries["dev"], prefix("dev"), tag, text, blobs_for("dev-image"))
        registry = AwsModelRegistry(session.client("sagemaker"))
        group = f"{prefix('dev')}-models-breast-cancer"
        registry.ensure_group(group)
        base = f"s3://{artifacts}/runs"
        held_out_uri = f"{base}/batch" + "/" * test_data_slash
        return registry.register(
            group,
            model_data_url=f"s3://{artifacts}/models/v1/model.tar.gz",
            image_uri=f"{self.registries['dev'].host}/{prefix('dev')}@{digest}",
            approval_status=status,  # type: ignore[arg-type]
            metrics={"auc": auc},
            metrics_uri=f"{base}/evaluation/evaluation.json",
            metadata={"schema_name": "breast_cancer", "test_data": held_out_uri,
                      "schema_uri": f"{base}/schema/schema.yaml", "code_version": "abc123",
                      "input_data_version": "v-42", "gate_metric": "auc"},
        ).arn  # fmt: skip

    def alarms(self, environment: str) -> None:
        """The endpoint's rollback alarms, as the monitoring module creates them."""
        cloudwatch = session_of(self.accounts[environment]).client("cloudwatch")
        for suffix in ("5xx-rate", "model-latency-p99"):
            cloudwatch.put_metric_alarm(
                AlarmName=f"{prefix(environment)}-endpoint-{suffix}",
                Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum",
                Period=300, EvaluationPeriods=3, Threshold=1.0,
                ComparisonOperator="GreaterThanThreshold",
            )  # fmt: skip

    def endpoint_answers(self, environment: str, probabilities: list[dict[str, float]]) -> None:
        """moto's endpoint answers the next request as serve would for these rows."""
        from moto.sagemakerruntime.models import sagemakerruntime_backends

        body = json.dumps({"predictions": [{"probabilities": p} for p in probabilities]})
        backend = sagemakerruntime_backends[self.accounts[environment]][REGION]
        backend.results_queue.append((body, "application/json", "AllTraffic", ""))

    def promote(self, *extra: str, to: str = "staging", source: str = "dev") -> int:
        return main([
            "promote", "--from", source, "--to", to, "--environments-dir", str(self.envdir),
            "--from-stack-outputs", str(self.files[source]), "--stack-outputs",
            str(self.files[to]), "--output", "json", *extra,
        ])  # fmt: skip

    def packages(self, environment: str) -> list[dict[str, Any]]:
        sm = session_of(self.accounts[environment]).client("sagemaker")
        group = f"{prefix(environment)}-models-breast-cancer"
        try:
            listed = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
        except sm.exceptions.ClientError:
            return []
        return [sm.describe_model_package(ModelPackageName=p["ModelPackageArn"]) for p in listed]


@contextmanager
def two_accounts(tmp_path: Path) -> Iterator[World]:
    """moto with the dev and staging accounts, a real registry for each (test_promote*.py)."""
    with mock_aws():
        logins = {
            "dev": login_of(session_of(DEV_ACCOUNT)),
            "staging": login_of(session_of(STAGING_ACCOUNT)),
        }
        with (
            running_registry(tmp_path / "r-dev", *logins["dev"]) as dev,
            running_registry(tmp_path / "r-staging", *logins["staging"]) as staging,
        ):
            yield World(tmp_path, {"dev": dev, "staging": staging})


@pytest.fixture
def world(credentials: None, tmp_path: Path) -> Iterator[World]:
    with two_accounts(tmp_path) as found:
        yield found


def test_promote_copies_the_model_its_data_and_its_image_into_staging_with_lineage(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    source = world.dev_package()
    assert world.promote("--from-role-arn", READER) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["action"], result["source"], result["approval_status"]) == (
        "created", source, "Approved",  # approved in dev; staging tests it at once
    )  # fmt: skip
    (package,) = world.packages("staging")
    assert package["ModelPackageArn"] == result["target"]
    lineage = package["CustomerMetadataProperties"]
    assert lineage["promoted_from"] == source and lineage["source_account"] == DEV_ACCOUNT
    assert (lineage["code_version"], lineage["input_data_version"]) == ("abc123", "v-42")
    artifacts = f"{prefix('staging')}-artifacts-{STAGING_ACCOUNT}"
    copied = f"s3://{artifacts}/promoted/{DEV_ACCOUNT}/{prefix('dev')}-models-breast-cancer/v1/"
    container = package["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"] == f"{copied}model/model.tar.gz"
    assert lineage["test_data"] == f"{copied}test_data/"
    s3 = boto3.client("s3")
    body = s3.get_object(Bucket=artifacts, Key=container["ModelDataUrl"].split("/", 3)[3])
    assert body["Body"].read() == MODEL and body["ServerSideEncryption"] == "aws:kms"
    labels = s3.get_object(Bucket=artifacts, Key=f"{copied.split('/', 3)[3]}test_data/labels.csv")
    assert labels["Body"].read() == b"benign\n"
    _, digest, _ = manifest_for("dev-image")
    assert container["Image"] == f"{world.registries['staging'].host}/{prefix('staging')}@{digest}"


def test_the_drift_baseline_travels_with_the_model_so_the_target_can_monitor_it(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package(baseline=True)
    assert world.promote("--from-role-arn", READER) == 0
    capsys.readouterr()
    (staging,) = world.packages("staging")
    artifacts = f"{prefix('staging')}-artifacts-{STAGING_ACCOUNT}"
    copied = f"s3://{artifacts}/promoted/{DEV_ACCOUNT}/{prefix('dev')}-models-breast-cancer/v1/"
    quality = staging["DriftCheckBaselines"]["ModelDataQuality"]  # where the schedule reads it
    assert quality["Statistics"]["S3Uri"] == f"{copied}baseline_statistics/statistics.json"
    assert quality["Constraints"]["S3Uri"] == f"{copied}baseline_constraints/constraints.json"
    s3 = boto3.client("s3")
    for source, uri in ((BASELINE_STATISTICS, quality["Statistics"]["S3Uri"]),
                        (BASELINE_CONSTRAINTS, quality["Constraints"]["S3Uri"])):  # fmt: skip
        assert s3.get_object(Bucket=artifacts, Key=uri.split("/", 3)[3])["Body"].read() == source
    lineage = staging["CustomerMetadataProperties"]  # what monitor run looks up first
    assert lineage["drift_baseline_statistics"] == quality["Statistics"]["S3Uri"]

    assert world.promote(to="prod", source="staging") == 0  # and on, from the staging copy
    (prod,) = world.packages("prod")
    uri = prod["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    assert uri.startswith(f"s3://{prefix('prod')}-artifacts-") and uri.endswith("statistics.json")


def test_a_version_without_a_baseline_is_promoted_without_one_and_says_so(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package()
    assert world.promote("--from-role-arn", READER, "--output", "table") == 0
    out, err = capsys.readouterr()
    assert "no drift baseline to copy" in out + err
    (staging,) = world.packages("staging")
    assert "DriftCheckBaselines" not in staging


def test_a_second_promote_finds_the_first_and_writes_nothing(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.dev_package()
    assert world.promote("--from-role-arn", READER) == 0
    first = json.loads(capsys.readouterr().out)
    import botocore.client

    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    assert world.promote("--from-role-arn", READER) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["action"], again["target"]) == ("unchanged", first["target"])
    writes = [c for c in calls if c.startswith(("Put", "Create", "Update", "Upload", "Copy"))]
    assert writes == []


def test_prod_gets_the_staging_model_pending_a_persons_approval(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """staging and prod share the staging account here: no source credentials needed."""
    world.dev_package()
    assert world.promote("--from-role-arn", READER) == 0
    staged = json.loads(capsys.readouterr().out)["target"]
    assert world.promote(to="prod", source="staging") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["approval_status"] == "PendingManualApproval"
    (package,) = world.packages("prod")
    assert package["CustomerMetadataProperties"]["promoted_from"] == staged
    assert package["ModelApprovalStatus"] == "PendingManualApproval"


@pytest.mark.parametrize(
    ("extra", "source_status", "expected"),
    [
        ((), "Approved", "name how to read dev with --from-role-arn"),
        (("--from-role-arn", READER), "PendingManualApproval", "has no Approved version"),
        (("--from-role-arn", READER, "--model-package", "arn:aws:sagemaker:us-east-1:"
          f"{DEV_ACCOUNT}:model-package/mlops-demo-dev-models-breast-cancer/9"), "Approved",
         "has no version 9; list its versions"),
        (("--from-role-arn", f"arn:aws:iam::{STAGING_ACCOUNT}:role/other"), "Approved",
         f"environment dev is account {DEV_ACCOUNT}"),
    ],
)  # fmt: skip
def test_each_refusal_exits_2_before_anything_is_written(
    world: World,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    source_status: str,
    expected: str,
) -> None:
    world.dev_package(source_status)
    assert world.promote(*extra) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert world.packages("staging") == []


def test_same_environment_and_local_environments_are_refused(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.promote(to="dev") == 2
    assert "--from and --to are both dev" in capsys.readouterr().err
    (world.envdir / "local.yaml").write_text("name: local\nbackend: local\n")
    world.files["local"] = world.files["staging"]
    assert world.promote(to="local") == 2
    assert "uses the local backend" in capsys.readouterr().err


def test_a_registry_failure_halfway_registers_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package()
    layer = list(blobs_for("dev-image"))[1]
    storage = world.tmp / "r-dev" / "storage"
    (blob,) = [p for p in storage.rglob("data") if layer[7:] in str(p.parent)]
    blob.write_bytes(b"corrupted")  # the source registry now serves a blob of another digest
    assert world.promote("--from-role-arn", READER) == 1
    assert "intact" in capsys.readouterr().err
    assert world.packages("staging") == []
    assert OCI_MANIFEST  # the image format the made-up image uses


HOST_PARTS = {  # a Preprocess on two hosts: host 1's parts are empty
    "batch-part-00000.csv": b"1,2\n3,4\n",
    "labels-part-00000.csv": b"benign\nmalignant\n",
    "batch-part-00001.csv": b"",
    "labels-part-00001.csv": b"",
}


def held_out_in_parts(world: World, parts: dict[str, bytes]) -> None:
    """The dev version's held-out rows as a multi-host Preprocess writes them."""
    s3 = session_of(DEV_ACCOUNT).client("s3")
    artifacts = f"{prefix('dev')}-artifacts-{DEV_ACCOUNT}"
    s3.delete_objects(
        Bucket=artifacts,
        Delete={"Objects": [{"Key": "runs/batch/batch.csv"}, {"Key": "runs/batch/labels.csv"}]},
    )
    for name, body in parts.items():
        s3.put_object(Bucket=artifacts, Key=f"runs/batch/{name}", Body=body)


def test_held_out_rows_in_parts_are_copied_part_by_part(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package(test_data_slash=False)
    held_out_in_parts(world, HOST_PARTS)
    assert world.promote("--from-role-arn", READER) == 0
    capsys.readouterr()
    (package,) = world.packages("staging")
    copied = package["CustomerMetadataProperties"]["test_data"]
    artifacts = f"{prefix('staging')}-artifacts-{STAGING_ACCOUNT}"
    key = copied.split("/", 3)[3]
    listed = boto3.client("s3").list_objects_v2(Bucket=artifacts, Prefix=f"{key}/")["Contents"]
    assert sorted(o["Key"].removeprefix(f"{key}/") for o in listed) == sorted(HOST_PARTS)
    for name, body in HOST_PARTS.items():
        got = boto3.client("s3").get_object(Bucket=artifacts, Key=f"{key}/{name}")["Body"].read()
        assert got == body


def test_held_out_parts_that_do_not_pair_up_are_refused_and_nothing_registered(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package()
    held_out_in_parts(world, {k: v for k, v in HOST_PARTS.items() if k != "labels-part-00001.csv"})
    assert world.promote("--from-role-arn", READER) == 1
    err = capsys.readouterr().err
    assert "batch-part-00001.csv has no partner" in err and "runs/batch" in err
    assert world.packages("staging") == []
