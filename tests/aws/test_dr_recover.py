"""``orchestrator recover`` drilled against moto in two regions (issue #22, docs/dr.md): region
A's registry (two groups, four versions, approval reasons, lineage) and deployment history are
backed up; the artifacts and the image are "replicated" into region B (copied, as S3 replication
and ECR replication would); recover --region B with B's --stack-outputs restores the registry
field by field, deploys the latest Approved version on B's endpoint and verifies it (endpoint
test on the held-out rows, the metric compared with the backup's). Each refusal exits 2 with
nothing written; a step that fails exits 1 naming the command to resume with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from ecr_images import create_repository, put_image
from ml_containers.data.bundled import write_schema
from moto_extensions import ACCOUNT, REGION
from promote_kit import calls_made, writes
from test_dr_registry import stack as registry_stack

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.cli import main
from orchestrator.dr import provenance
from orchestrator.dr.registry_restore import fields
from orchestrator.errors import UserError
from orchestrator.settings.stack_outputs import StackOutputs

B = "us-west-2"
BASE = "mlops-dev-models"
GROUP = f"{BASE}-breast-cancer"
OLD_COMMIT = "0" * 40
FAST = ["--poll-interval", "0.01", "--timeout", "30"]


def stack(region: str) -> StackOutputs:
    """The dev stack in ``region`` (the registry drill's, with the region's artifacts bucket)."""
    return registry_stack(region, f"mlops-dev-artifacts-{region}")


class Drill:
    """Region A's stack with a backed-up registry, region B's empty stack, the CLI flags."""

    backup: Path

    def __init__(self, tmp: Path) -> None:
        self.tmp, self.a, self.b = tmp, stack(REGION), stack(B)
        self.envs = tmp / "envs"
        self.envs.mkdir()
        (self.envs / "dev.yaml").write_text(
            f"name: dev\nbackend: aws\nproject: mlops\nregion: {REGION}\n"
            f'account_id: "{ACCOUNT}"\ndataset:\n  data: s3://{self.a.data_bucket}/d/\n'
            f"  schema: s3://{self.a.data_bucket}/d/schema.yaml\n"
            "endpoint:\n  require_alarms: false\n"
        )
        (self.envs / "dev.tfvars.json").write_text('{"environment": "dev"}\n')
        self.files = {}
        for outputs in (self.a, self.b):
            self.files[outputs.region] = tmp / f"outputs-{outputs.region}.json"
            self.files[outputs.region].write_text(json.dumps(outputs.to_terraform_json()))
            s3 = boto3.client("s3", region_name=outputs.region)
            where = {} if outputs.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": outputs.region}}  # fmt: skip
            for bucket in (outputs.data_bucket, outputs.artifacts_bucket):
                s3.create_bucket(Bucket=bucket, **where)
        self.registry = {r: AwsModelRegistry(boto3.client("sagemaker", region_name=r))
                         for r in (REGION, B)}  # fmt: skip
        self.maps = [
            "--artifacts-map", f"s3://{self.a.artifacts_bucket}/=s3://{self.b.artifacts_bucket}/",
            "--artifacts-map", f"s3://{self.a.data_bucket}/=s3://{self.b.data_bucket}/",
            "--images-map", f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/="
            f"{ACCOUNT}.dkr.ecr.{B}.amazonaws.com/",
        ]  # fmt: skip

    def flags(self, region: str) -> list[str]:
        return ["--env", "dev", "--environments-dir", str(self.envs),
                "--stack-outputs", str(self.files[region])]  # fmt: skip

    def seed(self) -> None:
        """Two groups, four versions in A; the image's digest as pushed (to B's ECR too)."""
        s3, artifacts = boto3.client("s3", region_name=REGION), self.a.artifacts_bucket
        schema = self.tmp / "schema.yaml"
        write_schema("breast_cancer", schema)
        s3.put_object(Bucket=self.a.data_bucket, Key="d/schema.yaml", Body=schema.read_bytes())
        for key, body in {"runs/batch/batch.csv": b"1,2\n3,4\n", "runs/batch/labels.csv":
                          b"benign\nmalignant\n", "runs/schema/schema.yaml": schema.read_bytes(),
                          "runs/evaluation.json": b"{}", "models/1.tar.gz": b"m1",
                          "models/2.tar.gz": b"m2", "models/3.tar.gz": b"m3"}.items():  # fmt: skip
            s3.put_object(Bucket=artifacts, Key=key, Body=body)
        ecr = boto3.client("ecr", region_name=B)
        create_repository(ecr, "mlops-dev")
        digest = put_image(ecr, "mlops-dev", "abc123", seed="recovered")
        image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-dev@{digest}"
        registry = self.registry[REGION]
        lineage = {"schema_name": "breast_cancer", "gate_metric": "auc",
                   "test_data": f"s3://{artifacts}/runs/batch",
                   "schema_uri": f"s3://{artifacts}/runs/schema/schema.yaml"}  # fmt: skip
        versions = [(GROUP, 1, "Approved"), (GROUP, 2, "Rejected"), (GROUP, 3, "Approved"),
                    (f"{BASE}-iris", 1, "Approved")]  # fmt: skip
        for group, number, status in versions:
            registry.ensure_group(group)
            made = registry.register(
                group, model_data_url=f"s3://{artifacts}/models/{number}.tar.gz", image_uri=image,
                approval_status="PendingManualApproval", metrics={"auc": 1.0 - (3 - number) / 10},
                metrics_uri=f"s3://{artifacts}/runs/evaluation.json", metadata=lineage,
                description=f"{group} {number}",
            )  # fmt: skip
            registry.set_status(group, made.version, status, f"reviewed {number}")  # type: ignore[arg-type]

    def replicate(self) -> None:
        """What S3 replication leaves in B: every object of A's two buckets."""
        source, target = boto3.resource("s3", region_name=REGION), boto3.client("s3", region_name=B)
        for a, b in ((self.a.data_bucket, self.b.data_bucket),
                     (self.a.artifacts_bucket, self.b.artifacts_bucket)):  # fmt: skip
            for item in source.Bucket(a).objects.all():
                target.put_object(Bucket=b, Key=item.key, Body=item.get()["Body"].read())

    def answers(self, probabilities: list[dict[str, float]]) -> None:
        """B's endpoint answers the next request as serve would for these rows."""
        from moto.sagemakerruntime.models import sagemakerruntime_backends

        body = json.dumps({"predictions": [{"probabilities": p} for p in probabilities]})
        sagemakerruntime_backends[ACCOUNT][B].results_queue.append(
            (body, "application/json", "AllTraffic", "")
        )

    def recover(self, *extra: str, region: str = B) -> list[str]:
        return ["recover", *self.flags(region), "--region", region, "--from", str(self.backup),
                *FAST, "--output", "json", *extra]  # fmt: skip


@pytest.fixture
def drill(aws: AwsClients, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Drill]:
    made = Drill(tmp_path)
    made.seed()
    with pytest.MonkeyPatch.context() as patch:  # the backup of another commit than HEAD
        patch.setattr(provenance, "git_state", lambda: {"commit": OLD_COMMIT, "dirty": False})
        assert main(["backup", *made.flags(REGION), "--to", str(tmp_path / "bk"),
                     "--output", "json"]) == 0  # fmt: skip
    made.backup = Path(json.loads(capsys.readouterr().out)["backup"])
    made.replicate()
    yield made


def outcome(capsys: pytest.CaptureFixture[str]) -> tuple[Any, str]:
    out, err = capsys.readouterr()
    return (json.loads(out) if out.strip() else None), err


def test_recover_into_a_second_region_restores_deploys_and_verifies(
    drill: Drill, capsys: pytest.CaptureFixture[str]
) -> None:
    drill.answers([{"benign": 0.9, "malignant": 0.1}, {"benign": 0.2, "malignant": 0.8}])
    assert main(drill.recover(*drill.maps)) == 0
    summary, err = outcome(capsys)
    steps = summary["steps"]
    assert sorted(steps) == sorted(("environment", "terraform", "restore", "pipeline", "deploy",
                                    "verify"))  # fmt: skip
    assert steps["environment"]["set"] == [  # the dataset read from its copy in B
        f"region={B}",
        f"dataset.data=s3://{drill.b.data_bucket}/d/",
        f"dataset.schema=s3://{drill.b.data_bucket}/d/schema.yaml",
    ]
    assert steps["terraform"]["skipped"] and not summary["dry_run"]
    assert sum(len(g["register"]) for g in steps["restore"]["groups"]) == 4
    assert not steps["pipeline"]["upserted"] and OLD_COMMIT in steps["pipeline"]["reason"]
    assert steps["pipeline"]["run"].startswith(f"git checkout {OLD_COMMIT} && orchestrator "
                                               "pipeline upsert --env dev")  # fmt: skip
    assert steps["deploy"]["model"] == f"{GROUP} v3"
    verify = steps["verify"]
    assert verify["passed"] and verify["measured"] == 1.0 and verify["backed_up_metric"] == 1.0
    for number, step in enumerate(("environment", "terraform", "restore", "pipeline", "deploy",
                                   "verify"), 1):  # fmt: skip
        assert f"[{number}/6] {step}:" in err
    # the registry, field by field, pointed at B's copies
    from orchestrator.dr import mapping
    from orchestrator.dr.registry_restore import Maps

    maps = Maps(artifacts=mapping.parse(drill.maps[1:4:2], "a", "s3://"),
                images=mapping.parse(drill.maps[5:6], "i"))  # fmt: skip
    for group in (GROUP, f"{BASE}-iris"):
        there = drill.registry[B].list_versions(group)
        here = drill.registry[REGION].list_versions(group)
        assert [fields(p) for p in there] == [fields(maps.package(p)) for p in here]
        assert all(f"{ACCOUNT}.dkr.ecr.{B}." in p.image_uri for p in there)
    sm = boto3.client("sagemaker", region_name=B)
    endpoint = sm.describe_endpoint(EndpointName=drill.b.endpoint_name)
    assert endpoint["EndpointStatus"] == "InService"
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    served = (model.get("PrimaryContainer") or model["Containers"][0])["ModelPackageName"]
    assert served == drill.registry[B].get(GROUP, 3).arn


def test_dry_run_prints_every_step_and_changes_nothing(
    drill: Drill, capsys: pytest.CaptureFixture[str]
) -> None:
    with calls_made() as calls:
        assert main(drill.recover(*drill.maps, "--dry-run")) == 0
    summary, err = outcome(capsys)
    assert writes(calls) == [] and drill.registry[B].list_groups() == []
    assert summary["steps"]["deploy"]["would_run"].startswith("orchestrator deploy --env dev")
    assert "would run orchestrator endpoint-test" in err
    table = drill.recover(*drill.maps, "--dry-run")
    del table[table.index("--output") : table.index("--output") + 2]
    assert main(table) == 0
    printed = capsys.readouterr().out
    assert "would register 4 versions" in printed and "orchestrator deploy --env dev" in printed


def other_environment(drill: Drill) -> None:
    manifest = drill.backup / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace('"environment": "dev"', '"environment": "prod"')
    )


@pytest.mark.parametrize(
    ("region", "maps", "prepare", "expected"),
    [
        (REGION, True, None, f"--region {REGION} is dev's own region"),
        (B, False, None, "recover needs --artifacts-map"),
        (B, True, other_environment, "the backup is of environment prod, not dev"),
        ("mars-north", True, None, "--region 'mars-north' is not an AWS region code"),
    ],
    ids=["same-region", "missing-maps", "another-environment", "region-format"],
)
def test_refusals_exit_2_and_write_nothing(
    drill: Drill, capsys: pytest.CaptureFixture[str], region: str, maps: bool,
    prepare: Any, expected: str,
) -> None:  # fmt: skip
    if prepare is not None:
        prepare(drill)
    argv = drill.recover(*(drill.maps if maps else []))
    argv[argv.index("--region") + 1] = region
    with calls_made() as calls:
        assert main(argv) == 2
    _, err = outcome(capsys)
    assert expected in err and "Traceback" not in err
    assert writes(calls) == [] and drill.registry[B].list_groups() == []


def test_a_failed_step_exits_1_naming_the_command_to_resume_from(
    drill: Drill, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing queued: moto's endpoint answers its placeholder, which is no prediction."""
    assert main(drill.recover(*drill.maps)) == 1
    summary, err = outcome(capsys)
    assert (
        summary["failed_step"] == "verify" and summary["steps"]["deploy"]["model"] == f"{GROUP} v3"
    )
    assert summary["resume"].startswith("orchestrator endpoint-test --env dev")
    assert "step verify failed: the endpoint's answer is not serve's JSON" in err
    assert (
        f"Resume with: orchestrator endpoint-test --env dev --environments-dir {drill.envs}" in err
    )
    assert len(drill.registry[B].list_versions(GROUP)) == 3  # what went before stays


def test_the_local_environment_has_no_region_to_recover_into(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["recover", "--env", "local", "--region", B, "--from", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "local uses the local backend and has no region" in err and "Traceback" not in err


# -- the environment for region R, its maps and its state: no AWS needed -----------------------
REPO = Path(__file__).resolve().parents[2]


def prod_source(*overrides: str) -> Any:
    from orchestrator.settings.overrides import EnvironmentSource

    return EnvironmentSource(REPO / "environments", overrides)


def test_region_r_gets_its_zones_and_no_replication_into_itself() -> None:
    from orchestrator.dr import recovery
    from orchestrator.settings.environment import load_environment

    config = load_environment("prod", prod_source())
    target, sets = recovery.recovery_environment(config, prod_source(), "eu-central-1")
    assert target.region == "eu-central-1" and target.terraform is not None
    assert target.terraform.network.availability_zones == [
        "eu-central-1a", "eu-central-1b", "eu-central-1c",
    ]  # fmt: skip
    assert not target.terraform.dr.replication.enabled
    assert sets == ["region=eu-central-1",
                    "terraform.network.availability_zones=[eu-central-1a, eu-central-1b, "
                    "eu-central-1c]", "terraform.dr.replication.enabled=false"]  # fmt: skip


def test_the_artifacts_map_defaults_to_the_replicas_in_region_r() -> None:
    from orchestrator.dr import recovery
    from orchestrator.dr.manifest import Source
    from orchestrator.settings.environment import load_environment

    config = load_environment("prod", prod_source())
    source = Source(backend="aws", account_id="111122223333", region="eu-west-1",
                    project="mlops-demo", artifacts_bucket="mlops-demo-prod-artifacts-111122223333",
                    data_bucket="mlops-demo-prod-data-111122223333",
                    model_package_group_name="g", pipeline_name="p", endpoint_name="e")  # fmt: skip
    images = (("a/", "b/"),)
    maps = recovery.default_maps(config, source, "eu-central-1", (), images)
    assert dict(maps.artifacts) == {
        "s3://mlops-demo-prod-data-111122223333/": "s3://mlops-demo-prod-data-replica-111122223333/",
        "s3://mlops-demo-prod-artifacts-111122223333/":
            "s3://mlops-demo-prod-artifacts-replica-111122223333/",
    }  # fmt: skip
    with pytest.raises(UserError, match="recover needs --artifacts-map"):
        recovery.default_maps(config, source, "us-east-2", (), images)  # no replica there
    with pytest.raises(UserError, match=r"--images-map 111122223333\.dkr\.ecr\.eu-west-1"):
        recovery.default_maps(config, source, "eu-central-1", (), ())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (("terraform.network.availability_zones=[us-east-1a, us-east-1b]",),
         "terraform.network.availability_zones: ['us-east-1a', 'us-east-1b'] are not in region "
         "eu-central-1"),
        (("region=eu-central-1",), "recover takes the region from --region"),
    ],
    ids=["zones-that-do-not-fit", "set-region"],
)  # fmt: skip
def test_bad_zones_or_a_set_region_exit_2_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, overrides: tuple[str, ...], expected: str
) -> None:
    argv = ["recover", "--env", "prod", "--region", "eu-central-1", "--from", str(tmp_path)]
    for text in overrides:
        argv += ["--set", text]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_region_r_never_shares_the_primary_state(tmp_path: Path) -> None:
    from orchestrator.flows import recover_stack
    from orchestrator.settings.environment import load_environment

    config = load_environment("prod", prod_source("region=eu-central-1",
        "terraform.network.availability_zones=[eu-central-1a, eu-central-1b]",
        "terraform.dr.replication.enabled=false"))  # fmt: skip
    (tmp_path / "backends").mkdir()
    with pytest.raises(UserError, match=r"orchestrator bootstrap --env prod --set region=eu-c"):
        recover_stack.check_backend(config, "eu-west-1", tmp_path)
    primary = 'bucket = "state-111122223333"\nkey = "mlops/prod/terraform.tfstate"\n'
    (tmp_path / "backends" / "prod.s3.tfbackend").write_text(primary)
    ours = tmp_path / "backends" / "prod.eu-central-1.s3.tfbackend"
    ours.write_text(primary + 'region = "eu-central-1"\n')
    with pytest.raises(UserError, match="names the same state"):
        recover_stack.check_backend(config, "eu-west-1", tmp_path)
    ours.write_text(primary.replace("prod/", "prod/eu-central-1/"))
    assert recover_stack.check_backend(config, "eu-west-1", tmp_path) == ours


def test_a_dry_run_without_outputs_prints_the_terraform_commands(
    drill: Drill, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = drill.recover(*drill.maps, "--dry-run")
    del argv[argv.index("--stack-outputs") : argv.index("--stack-outputs") + 2]
    with calls_made() as calls:
        assert main(argv) == 0
    summary, _ = outcome(capsys)
    assert writes(calls) == [] and drill.registry[B].list_groups() == []
    lines = summary["steps"]["terraform"]["would_run"]
    assert "-backend-config=backends/dev.us-west-2.s3.tfbackend" in lines[1]
    assert summary["steps"]["verify"]["would_run"].startswith("orchestrator endpoint-test")


def test_the_pipeline_is_upserted_when_the_backup_is_of_this_commit(
    drill: Drill, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """HEAD is the backup's commit: the pipeline is built from this checkout and created in B,
    running this commit's image (pushed to B's repository, as `image push` there would)."""
    from orchestrator.images.source import source_tag

    monkeypatch.setattr(provenance, "git_state", lambda: {"commit": OLD_COMMIT, "dirty": False})
    put_image(boto3.client("ecr", region_name=B), "mlops-dev", source_tag(), seed="pipeline")
    drill.answers([{"benign": 0.9, "malignant": 0.1}, {"benign": 0.2, "malignant": 0.8}])
    assert main(drill.recover(*drill.maps)) == 0
    summary, _ = outcome(capsys)
    assert summary["steps"]["pipeline"] == {
        "upserted": True, "pipeline": drill.b.pipeline_name, "action": "created"
    }  # fmt: skip
    described = boto3.client("sagemaker", region_name=B).describe_pipeline(
        PipelineName=drill.b.pipeline_name
    )
    assert drill.b.artifacts_bucket in described["PipelineDefinition"]


# -- the terraform step: the provider-free stand-in stack, real Terraform core ------------------
@pytest.fixture
def staging(drill: Drill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """staging.yaml in moto's account (reading A's dataset), a backup of it, and the stand-in
    stack with staging's primary backend and region B's own."""
    import shutil
    import sys

    import yaml

    sys.path.insert(0, str(REPO / "tests" / "orchestrator"))
    from test_terraform_runner import NO_TERRAFORM_PATH, write_stack

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    shipped = yaml.safe_load((REPO / "environments" / "staging.yaml").read_text())
    shipped.update(region=REGION, account_id=ACCOUNT, project="mlops",
                   dataset=yaml.safe_load((drill.envs / "dev.yaml").read_text())["dataset"],
                   endpoint={"require_alarms": False})  # fmt: skip
    shipped["terraform"]["network"]["availability_zones"] = [f"{REGION}a", f"{REGION}b"]
    (drill.envs / "staging.yaml").write_text(yaml.safe_dump(shipped, sort_keys=False))
    stack = write_stack(tmp_path / "stack", account=ACCOUNT)
    state = tmp_path / "state"
    (stack / "backends" / "staging.s3.tfbackend").write_text(f'path = "{state}/staging"\n')
    (stack / "backends" / f"staging.{B}.s3.tfbackend").write_text(f'path = "{state}/{B}"\n')
    backup = tmp_path / "staging-backup"
    shutil.copytree(drill.backup, backup)
    manifest = backup / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"environment": "dev"', '"environment": '
                                                     '"staging"'))  # fmt: skip
    ecr = boto3.client("ecr", region_name=B)
    create_repository(ecr, "mlops")  # the stand-in stack's repository and artifacts bucket
    boto3.client("s3", region_name=B).create_bucket(
        Bucket=f"mlops-staging-artifacts-{ACCOUNT}",
        CreateBucketConfiguration={"LocationConstraint": B},
    )
    put_image(ecr, "mlops", "abc123", seed="recovered")
    return stack, backup


def test_staging_applies_region_b_only_from_a_reviewed_plan(
    drill: Drill, staging: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    stack, backup = staging
    argv = ["recover", "--env", "staging", "--environments-dir", str(drill.envs), "--region", B,
            "--from", str(backup), "--terraform-dir", str(stack), "--skip-preflight", *FAST,
            *drill.maps[:4], "--images-map",
            f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-dev={ACCOUNT}.dkr.ecr.{B}."
            "amazonaws.com/mlops"]  # fmt: skip
    assert main([*argv, "--auto-approve"]) == 2
    assert "--auto-approve is refused for staging" in capsys.readouterr().err
    assert main(argv) == 2
    err = capsys.readouterr().err
    plan = Path.cwd() / ".mlops" / "terraform" / f"staging-{B}" / f"staging-{B}.tfplan"
    assert f"recover again with --approve-plan {plan}" in err and plan.is_file()
    assert not (stack.parent / "state" / B).exists() and drill.registry[B].list_groups() == []
    drill.answers([{"benign": 0.9, "malignant": 0.1}, {"benign": 0.2, "malignant": 0.8}])
    assert main([*argv, "--approve-plan", str(plan), "--output", "json"]) == 0
    summary, _ = outcome(capsys)
    outputs = json.loads(Path(summary["steps"]["terraform"]["outputs"]).read_text())
    assert outputs["region"]["value"] == B and (stack.parent / "state" / B).exists()
    assert not (stack.parent / "state" / "staging").exists()  # the primary's state untouched
    assert summary["steps"]["deploy"]["model"] == "mlops-staging-models-breast-cancer v3"
    assert summary["steps"]["verify"]["passed"]
