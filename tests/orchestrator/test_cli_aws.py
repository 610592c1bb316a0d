"""The aws commands end to end through ``orchestrator.cli.main`` against moto (in-process
``mock_aws``): pipeline upsert/start/wait, run with --stack-outputs, the registry commands,
deploy/rollback and batch transform, and the mistakes that must exit 2 with one sentence.

moto lacks UpdateEndpoint, ListPipelineExecutionSteps and StopPipelineExecution; the AWS
backend's test helpers ``tests/aws/moto_extensions/`` add them with SageMaker's semantics (state in
moto's own backend). Nothing of the orchestrator is mocked: the CLI builds its own boto3 session
from the fake credentials in the environment, exactly as in production.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from ml_containers.data.bundled import write_schema
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from ecr_images import create_repository, put_image
from moto_extensions import (
    ACCOUNT,
    REGION,
    ExecutionState,
    fail_endpoint,
    sagemaker_patched,
    script_execution,
    set_transform_job_state,
    step,
)

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.cli import main
from orchestrator.images.source import source_tag
from orchestrator.settings.stack_outputs import StackOutputs

REPO = Path(__file__).resolve().parents[2]
PREFIX = "mlops-demo-dev"
DATA_BUCKET = f"{PREFIX}-data-{ACCOUNT}"
SCHEMA_URI = f"s3://{DATA_BUCKET}/datasets/breast_cancer/schema.yaml"
GROUP = f"{PREFIX}-models-breast-cancer"  # the group of the environment's dataset
DATA_URI = f"s3://{DATA_BUCKET}/datasets/breast_cancer/data/"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PREFIX}:1.0"
ALARMS = [f"{PREFIX}-endpoint-5xx-rate", f"{PREFIX}-endpoint-model-latency-p99"]
FAST = ["--poll-interval", "0.01", "--timeout", "30"]


def stack_outputs(**changes: Any) -> StackOutputs:
    kms = f"arn:aws:kms:{REGION}:{ACCOUNT}:key"
    values: dict[str, Any] = {
        "region": REGION,
        "account_id": ACCOUNT,
        "environment": "dev",
        "project": "mlops-demo",
        "data_bucket": DATA_BUCKET,
        "artifacts_bucket": f"{PREFIX}-artifacts-{ACCOUNT}",
        "data_kms_key_arn": f"{kms}/11111111-1111-1111-1111-111111111111",
        "artifacts_kms_key_arn": f"{kms}/22222222-2222-2222-2222-222222222222",
        "sagemaker_execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-sagemaker-execution",
        "pipeline_role_arn": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-sagemaker-pipeline",
        "orchestrator_policy_arn": f"arn:aws:iam::{ACCOUNT}:policy/{PREFIX}-orchestrator",
        "model_package_group_name": f"{PREFIX}-models",
        "pipeline_name": f"{PREFIX}-training",
        "endpoint_name": f"{PREFIX}-endpoint",
        "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "sagemaker_security_group_ids": ["sg-0123456789abcdef0"],
        "vpc_id": "vpc-0123456789abcdef0",
        "ecr_repository_url": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PREFIX}",
        "alarm_names": ALARMS,
    }
    values.update(changes)
    return StackOutputs(**values)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no profile or config files, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def envdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """environments/dev.yaml moved into moto's account and region (everything else as shipped)."""
    data = yaml.safe_load((REPO / "environments" / "dev.yaml").read_text())
    data.update(region=REGION, account_id=ACCOUNT)
    data["dataset"] = {"data": DATA_URI, "schema": SCHEMA_URI}
    data["terraform"]["network"]["availability_zones"] = [f"{REGION}a", f"{REGION}b"]
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "dev.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "dev-outputs.json"
    path.write_text(json.dumps(stack_outputs().to_terraform_json()))
    return path


@pytest.fixture
def moto(credentials: None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """moto with the stack's data bucket, the dataset schema, and the endpoint alarms."""
    with mock_aws(), sagemaker_patched():
        session = boto3.Session(region_name=REGION)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET)
        s3.create_bucket(Bucket=f"{PREFIX}-artifacts-{ACCOUNT}")  # deployment history lives here
        schema = tmp_path / "schema.yaml"
        write_schema("breast_cancer", schema)
        s3.put_object(Bucket=DATA_BUCKET, Key=SCHEMA_URI.split("/", 3)[3], Body=schema.read_bytes())
        # Data under dataset.data: a start refuses an empty prefix (SageMaker's job would fail).
        s3.put_object(Bucket=DATA_BUCKET, Key=f"{DATA_URI.split('/', 3)[3]}rows.csv", Body=b"x\n")
        ecr = session.client("ecr")
        create_repository(ecr, PREFIX)  # pushed: this commit's image, and the one IMAGE names
        put_image(ecr, PREFIX, source_tag())
        put_image(ecr, PREFIX, IMAGE.rpartition(":")[2])
        cloudwatch = session.client("cloudwatch")
        for name in ALARMS:
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/SageMaker",
                MetricName="Invocation5XXErrors",
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=3,
                Threshold=1.0,
                ComparisonOperator="GreaterThanThreshold",
            )
        yield {
            "sagemaker": session.client("sagemaker"),
            "cloudwatch": cloudwatch,
            "s3": s3,
            "ecr": ecr,
            "autoscaling": session.client("application-autoscaling"),
        }


Stack = tuple[dict[str, Any], Path, list[str]]


@pytest.fixture
def stack(moto: dict[str, Any], envdir: Path, outputs_file: Path) -> Stack:
    """moto with the stack's buckets and alarms; the environments; the flags naming the stack
    outputs and a fast wait (for the deploy tests of other modules)."""
    return moto, envdir, ["--stack-outputs", str(outputs_file), *FAST]


def cli(envdir: Path, *args: str) -> int:
    return main([*args, "--env", "dev", "--environments-dir", str(envdir)])


def register(sagemaker: Any, number: int, status: str = "Approved") -> str:
    registry = AwsModelRegistry(sagemaker)
    registry.ensure_group(GROUP)
    package = registry.register(
        GROUP,
        model_data_url=f"s3://{PREFIX}-artifacts-{ACCOUNT}/models/{number}/model.tar.gz",
        image_uri=IMAGE,
        approval_status=status,  # type: ignore[arg-type]
    )
    return package.arn


# -- pipeline ------------------------------------------------------------------------------------
def test_upsert_creates_then_skips_and_the_definition_reads_the_s3_schema(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["pipeline", "upsert", "--stack-outputs", str(outputs_file), "--output", "json"]
    assert cli(envdir, *args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["action"] == "created"
    assert first["pipeline"] == f"{PREFIX}-training"
    assert cli(envdir, *args) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "unchanged"

    deployed = moto["sagemaker"].describe_pipeline(PipelineName=f"{PREFIX}-training")
    assert deployed["RoleArn"] == stack_outputs().pipeline_role_arn
    definition = json.loads(deployed["PipelineDefinition"])
    defaults = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}
    assert DATA_URI in defaults.values() and SCHEMA_URI in defaults.values()
    # dev approves automatically (pipeline.approval: auto in dev.yaml)
    assert "Approved" in defaults.values()


def test_start_then_wait_reports_succeeded_steps(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "pipeline", "upsert", *outputs) == 0
    capsys.readouterr()
    assert cli(envdir, "pipeline", "start", *outputs, "--output", "json") == 0
    arn = json.loads(capsys.readouterr().out)["execution"]
    assert ":pipeline/" in arn and "/execution/" in arn
    assert cli(envdir, "pipeline", "wait", *outputs, *FAST, "--output", "json") == 0
    execution = json.loads(capsys.readouterr().out)
    assert execution["id"] == arn and execution["status"] == "Succeeded"
    assert {s["name"] for s in execution["steps"]} >= {"Preprocess", "Evaluate"}


def test_a_failed_execution_exits_1_naming_the_step_and_reason(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "pipeline", "upsert", *outputs) == 0
    capsys.readouterr()
    assert cli(envdir, "pipeline", "start", *outputs, "--output", "json") == 0
    arn = json.loads(capsys.readouterr().out)["execution"]
    script_execution(
        arn,
        [
            ExecutionState("Executing", [step("Preprocess", "Executing")]),
            ExecutionState(
                "Failed",
                [step("Preprocess", "Failed", "ClientError: 12% of rows rejected (limit 5%)")],
                "Step Preprocess failed",
            ),
        ],
    )
    assert cli(envdir, "pipeline", "wait", *outputs, *FAST, "--execution", arn) == 1
    printed = capsys.readouterr()
    assert "Failed" in printed.out
    assert "step 'Preprocess' failed: ClientError: 12% of rows rejected" in printed.out


def test_unknown_parameter_override_exits_2(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "pipeline", "upsert", *outputs) == 0
    assert cli(envdir, "pipeline", "start", *outputs, "--parameter", "Nope=1") == 2
    assert "'Nope' is not a parameter" in capsys.readouterr().err
    assert cli(envdir, "pipeline", "start", *outputs, "--parameter", "no-equals") == 2
    assert "must be NAME=VALUE" in capsys.readouterr().err


def test_a_gate_metric_the_problem_type_lacks_is_refused_and_a_valid_one_reaches_sagemaker(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "pipeline", "upsert", *outputs) == 0
    capsys.readouterr()
    bad = ["--parameter", "GateMetric=rmse", "--parameter", "MetricThreshold=1"]
    assert cli(envdir, "pipeline", "start", *outputs, *bad) == 2
    assert "GateMetric: 'rmse' is not one of ['auc', 'accuracy'" in capsys.readouterr().err
    assert cli(envdir, "pipeline", "start", *outputs, "--parameter", "GateMetric=f1") == 2
    assert "needs its own threshold" in capsys.readouterr().err
    name = f"{PREFIX}-training"
    assert (
        moto["sagemaker"].list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]
        == []
    )
    good = ["--parameter", "GateMetric=log_loss", "--parameter", "MetricThreshold=0.3"]
    assert cli(envdir, "pipeline", "start", *outputs, *good, "--output", "json") == 0
    arn = json.loads(capsys.readouterr().out)["execution"]
    sent = moto["sagemaker"].list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    values = {p["Name"]: p["Value"] for p in sent["PipelineParameters"]}
    assert (values["GateMetric"], values["MetricThreshold"]) == ("log_loss", "0.3")


def test_run_with_stack_outputs_chains_upsert_start_wait(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(envdir, "run", "--stack-outputs", str(outputs_file), *FAST, "--output", "json")
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["pipeline"]["action"] == "created"
    assert summary["execution"]["status"] == "Succeeded"
    assert "tfvars" not in summary  # --stack-outputs skips render and apply
    executions = moto["sagemaker"].list_pipeline_executions(PipelineName=f"{PREFIX}-training")
    assert len(executions["PipelineExecutionSummaries"]) == 1


def test_run_without_outputs_renders_applies_then_runs_the_pipeline(
    moto: dict[str, Any],
    envdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole chain on a provider-free stack (real Terraform core, the embedded one) whose
    outputs carry the contract's names in moto's account."""
    from test_terraform_runner import NO_TERRAFORM_PATH, write_stack

    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    stack = write_stack(tmp_path / "stack", account=ACCOUNT)
    create_repository(moto["ecr"], "mlops")  # the stand-in stack's ecr_repository_url
    put_image(moto["ecr"], "mlops", source_tag())
    # The provider-free stand-in has no IAM at all, which the preflight refuses (next test).
    args = ["run", "--terraform-dir", str(stack), "--skip-preflight", *FAST, "--output", "json"]
    code = cli(envdir, *args)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    summary = json.loads(printed.out)
    assert summary["tfvars"]["changed"] is True  # rendered for the first time
    assert json.loads((envdir / "dev.tfvars.json").read_text())["region"] == REGION
    assert summary["infrastructure"]["changed"] is True
    assert summary["pipeline"]["action"] == "created"
    assert summary["execution"]["status"] == "Succeeded"


def test_run_checks_the_plan_with_the_preflight_before_applying_it(
    moto: dict[str, Any],
    envdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A stack with no orchestrator policies would deny every call the orchestrator makes:
    run stops at the preflight with exit 1 and applies nothing."""
    from test_terraform_runner import NO_TERRAFORM_PATH, write_stack

    monkeypatch.setenv("PATH", NO_TERRAFORM_PATH)
    stack = write_stack(tmp_path / "stack", account=ACCOUNT)
    assert cli(envdir, "run", "--terraform-dir", str(stack), *FAST) == 1
    err = capsys.readouterr().err
    assert "the preflight found" in err and "orchestrator-coverage" in err
    assert "nothing was changed" in err
    assert not (tmp_path / "state" / "dev.tfstate").exists()  # never applied
    assert moto["sagemaker"].list_pipelines()["PipelineSummaries"] == []


# -- registry ------------------------------------------------------------------------------------
def test_models_list_and_approve_use_the_sagemaker_registry(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register(moto["sagemaker"], 1, "PendingManualApproval")
    outputs = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "models", "list", *outputs, "--output", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["version"], p["approval_status"]) for p in listed] == [(1, "PendingManualApproval")]
    assert cli(envdir, "models", "approve", "1", *outputs, "--reason", "reviewed") == 0
    assert "v1: Approved" in capsys.readouterr().out
    package = moto["sagemaker"].describe_model_package(ModelPackageName=listed[0]["arn"])
    assert package["ModelApprovalStatus"] == "Approved"
    assert cli(envdir, "models", "approve", "7", *outputs) == 2


# -- endpoint ------------------------------------------------------------------------------------
def test_deploy_update_and_rollback(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file), *FAST]
    first = register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", *outputs, "--output", "json") == 0
    created = json.loads(capsys.readouterr().out)
    assert created["action"] == "created" and created["model_package_arn"] == first
    assert created["rollback_alarms"] == sorted(ALARMS)  # from the stack's alarm_names output

    second = register(moto["sagemaker"], 2)
    assert cli(envdir, "deploy", *outputs, "--model-package", second, "--output", "json") == 0
    updated = json.loads(capsys.readouterr().out)
    assert updated["action"] == "updated"
    assert updated["previous_config_name"] == created["endpoint_config_name"]
    endpoint = moto["sagemaker"].describe_endpoint(EndpointName=f"{PREFIX}-endpoint")
    assert endpoint["EndpointConfigName"] == updated["endpoint_config_name"]
    deployment = endpoint["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert deployment["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"  # dev.yaml

    assert cli(envdir, "rollback", *outputs, "--output", "json") == 0
    rolled = json.loads(capsys.readouterr().out)
    assert rolled["action"] == "rolled-back"
    assert rolled["endpoint_config_name"] == created["endpoint_config_name"]
    assert rolled["model_package_arn"] == first
    targets = moto["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [t["MaxCapacity"] for t in targets["ScalableTargets"]] == [2]  # dev.yaml's autoscaling


def test_an_update_that_does_not_take_exits_1_and_keeps_the_old_config(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file), *FAST]
    register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", *outputs, "--output", "json") == 0
    serving = json.loads(capsys.readouterr().out)["endpoint_config_name"]
    second = register(moto["sagemaker"], 2)
    moto["cloudwatch"].set_alarm_state(
        AlarmName=ALARMS[0], StateValue="ALARM", StateReason="5XX during the canary"
    )
    assert cli(envdir, "deploy", *outputs, "--model-package", second) == 1
    error = capsys.readouterr().err
    assert "rolled back" in error and serving in error
    endpoint = moto["sagemaker"].describe_endpoint(EndpointName=f"{PREFIX}-endpoint")
    assert endpoint["EndpointConfigName"] == serving


def test_deploy_refuses_a_package_that_is_not_approved(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pending = register(moto["sagemaker"], 1, "PendingManualApproval")
    code = cli(envdir, "deploy", "--stack-outputs", str(outputs_file), "--model-package", pending)
    assert code == 2
    assert "only Approved versions are deployed" in capsys.readouterr().err


FAILURE = "The primary container for production variant AllTraffic did not pass the ping check."


def test_deploy_onto_a_failed_endpoint_exits_1_naming_the_reason_and_the_flag(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file), *FAST]
    register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", *outputs, "--output", "json") == 0
    failed_config = json.loads(capsys.readouterr().out)["endpoint_config_name"]
    fail_endpoint(f"{PREFIX}-endpoint", FAILURE)
    configs = moto["sagemaker"].list_endpoint_configs()["EndpointConfigs"]
    second = register(moto["sagemaker"], 2)
    assert cli(envdir, "deploy", *outputs, "--model-package", second) == 1
    error = capsys.readouterr().err
    assert f"{PREFIX}-endpoint is Failed" in error and FAILURE in error
    assert "--recreate-failed" in error
    assert moto["sagemaker"].list_endpoint_configs()["EndpointConfigs"] == configs
    endpoint = moto["sagemaker"].describe_endpoint(EndpointName=f"{PREFIX}-endpoint")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("Failed", failed_config)


def test_deploy_recreate_failed_serves_the_requested_model_in_service(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = ["--stack-outputs", str(outputs_file), *FAST]
    register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", *outputs) == 0
    capsys.readouterr()
    fail_endpoint(f"{PREFIX}-endpoint", FAILURE)
    second = register(moto["sagemaker"], 2)
    args = ["--model-package", second, "--recreate-failed", "--output", "json"]
    assert cli(envdir, "deploy", *outputs, *args) == 0
    recreated = json.loads(capsys.readouterr().out)
    assert recreated["action"] == "recreated" and recreated["model_package_arn"] == second
    endpoint = moto["sagemaker"].describe_endpoint(EndpointName=f"{PREFIX}-endpoint")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == recreated["endpoint_config_name"]
    targets = moto["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [t["MaxCapacity"] for t in targets["ScalableTargets"]] == [2]  # dev.yaml's autoscaling


def test_a_local_environment_refuses_recreate_failed_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    environments = str(REPO / "environments")
    args = ["deploy", "--recreate-failed", "--env", "local", "--environments-dir", environments]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "--recreate-failed" in error and "local" in error


# -- batch transform -----------------------------------------------------------------------------
def test_batch_transform_submits_a_job_and_waits(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register(moto["sagemaker"], 1)
    source = f"s3://{DATA_BUCKET}/batch/batch.csv"
    args = ["batch-transform", "--stack-outputs", str(outputs_file), *FAST, "--input", source]
    assert cli(envdir, *args, "--input-filter", "$[1:]") == 0
    printed = capsys.readouterr().out
    assert (
        "Completed" in printed and f"s3://{PREFIX}-artifacts-{ACCOUNT}/batch-transform/" in printed
    )
    jobs = moto["sagemaker"].list_transform_jobs()["TransformJobSummaries"]
    job = moto["sagemaker"].describe_transform_job(TransformJobName=jobs[0]["TransformJobName"])
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["BatchStrategy"] == "MultiRecord"
    assert job["DataProcessing"]["InputFilter"] == "$[1:]"
    assert job["TransformResources"]["VolumeKmsKeyId"] == stack_outputs().data_kms_key_arn


def test_a_failed_transform_job_exits_1_with_sagemakers_reason(
    moto: dict[str, Any],
    envdir: Path,
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register(moto["sagemaker"], 1)
    from moto.sagemaker.models import SageMakerModelBackend

    created = SageMakerModelBackend.create_transform_job

    def create_then_fail(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        job = created(self, *args, **kwargs)
        set_transform_job_state(kwargs["transform_job_name"], "Failed", "ClientError: bad row 3")
        return job

    monkeypatch.setattr(SageMakerModelBackend, "create_transform_job", create_then_fail)
    source = f"s3://{DATA_BUCKET}/batch/batch.csv"
    code = cli(
        envdir, "batch-transform", "--stack-outputs", str(outputs_file), *FAST, "--input", source
    )
    assert code == 1
    assert "ClientError: bad row 3" in capsys.readouterr().err


def test_batch_transform_of_an_aws_environment_needs_s3_uris(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(envdir, "batch-transform", "--stack-outputs", str(outputs_file), "--input", "x.csv")
    assert code == 2
    assert "is a local path; an aws environment reads and writes S3" in capsys.readouterr().err


# -- mistakes ------------------------------------------------------------------------------------
def test_missing_credentials_is_one_sentence_and_exit_2(
    envdir: Path,
    outputs_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    credentials: None,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert cli(envdir, "pipeline", "upsert", "--stack-outputs", str(outputs_file)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: no AWS credentials were found;")
    assert len(error.splitlines()) == 1 and "Traceback" not in error


def test_outputs_of_another_environment_are_refused(
    envdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], credentials: None
) -> None:
    prod = tmp_path / "prod-outputs.json"
    prod.write_text(json.dumps(stack_outputs(environment="prod").to_terraform_json()))
    assert cli(envdir, "deploy", "--stack-outputs", str(prod)) == 2
    assert "belong to another stack: environment 'prod'" in capsys.readouterr().err


def test_a_missing_or_incomplete_outputs_file_exits_2(
    envdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], credentials: None
) -> None:
    assert cli(envdir, "pipeline", "upsert", "--stack-outputs", str(tmp_path / "no.json")) == 2
    assert "does not exist" in capsys.readouterr().err
    partial = tmp_path / "partial.json"
    data = stack_outputs().to_terraform_json()
    del data["endpoint_name"]
    partial.write_text(json.dumps(data))
    assert cli(envdir, "rollback", "--stack-outputs", str(partial)) == 2
    assert "lacks the stack outputs ['endpoint_name']" in capsys.readouterr().err


def test_aws_commands_refuse_a_local_environment(capsys: pytest.CaptureFixture[str]) -> None:
    environments = str(REPO / "environments")
    code = main(["pipeline", "upsert", "--env", "local", "--environments-dir", environments])
    assert code == 2
    assert "works on aws environments" in capsys.readouterr().err
