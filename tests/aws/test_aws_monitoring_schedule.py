"""The drift schedule on AWS (issue #19): deploying a version with data capture on creates the
endpoint's Model Monitor schedule running the image's ``monitor`` entry point on the served
package's baseline, hourly, with the stack's keys, subnets and jobs role; the same version leaves
it unchanged, another version or a rollback updates it, and a version without a baseline or an
endpoint without capture changes nothing and says so. moto lacks monitoring schedules:
``moto_extensions/monitoring_schedule.py`` models the documented API; every request is also
checked here against botocore's service model, patterns included."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from endpoint_kit import IMAGE, put_alarms
from moto_extensions import backend, schedules

from orchestrator.backends.aws import AwsModelRegistry, PollSettings
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.aws.monitoring_schedule import (
    HOURLY,
    MonitoredEndpointManager,
    schedule_name,
)
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.monitoring import MonitoringSettings, ScheduleResources
from orchestrator.settings.stack_outputs import StackOutputs

THRESHOLDS = MonitoringSettings(psi_threshold=0.3)


def _package(
    aws: AwsClients, registry: AwsModelRegistry, outputs: StackOutputs, n: int, baseline: bool
) -> ModelPackage:
    request: dict[str, Any] = {
        "ModelPackageGroupName": outputs.model_package_group_name,
        "ModelApprovalStatus": "Approved",
        "InferenceSpecification": {
            "Containers": [
                {"Image": IMAGE, "ModelDataUrl": f"s3://{outputs.artifacts_bucket}/m/{n}.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    }
    if baseline:
        root = f"s3://{outputs.artifacts_bucket}/baselines/{n}"
        quality = {
            "Statistics": {"ContentType": "application/json", "S3Uri": f"{root}/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": f"{root}/constraints.json"},
        }
        request["DriftCheckBaselines"] = {"ModelDataQuality": quality}
        request["ModelMetrics"] = {"ModelDataQuality": quality}
    arn = aws.sagemaker.create_model_package(**request)["ModelPackageArn"]
    return registry.get_by_arn(arn)


def _manager(
    aws: AwsClients,
    outputs: StackOutputs,
    capture: int = 100,
    monitoring: MonitoringSettings = THRESHOLDS,
) -> Any:
    settings = EndpointSettings(data_capture_percent=capture, autoscaling=None)
    return MonitoredEndpointManager(aws, None, outputs, settings, monitoring)


def _check_against_botocore(name: str, config: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateMonitoringSchedule").input_shape
    request = {"MonitoringScheduleName": name, "MonitoringScheduleConfig": config}
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert re.fullmatch(shape.members["MonitoringScheduleName"].metadata["pattern"], name)
    job = config["MonitoringJobDefinition"]
    job_shape = shape.members["MonitoringScheduleConfig"].members["MonitoringJobDefinition"]
    assert re.fullmatch(job_shape.members["RoleArn"].metadata["pattern"], job["RoleArn"])
    kms = job_shape.members["MonitoringOutputConfig"].members["KmsKeyId"].metadata["pattern"]
    assert re.fullmatch(kms, job["MonitoringOutputConfig"]["KmsKeyId"])


def test_deploy_creates_updates_and_rollback_returns_the_schedule(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    put_alarms(aws)
    first = _package(aws, registry, outputs, 1, baseline=True)
    manager = _manager(aws, outputs)
    said: list[str] = []
    manager.deploy(first, fast, said.append)
    name = schedule_name(outputs)
    assert any(f"monitoring schedule {name}: created" in line for line in said)
    stored = schedules(backend())[name]
    config = stored["MonitoringScheduleConfig"]
    _check_against_botocore(name, config)
    assert config["ScheduleConfig"]["ScheduleExpression"] == HOURLY
    job = config["MonitoringJobDefinition"]
    assert job["MonitoringAppSpecification"] == {
        "ImageUri": IMAGE,
        "ContainerEntrypoint": ["monitor"],
    }
    assert job["BaselineConfig"]["StatisticsResource"]["S3Uri"].endswith("/1/statistics.json")
    assert job["BaselineConfig"]["ConstraintsResource"]["S3Uri"].endswith("/1/constraints.json")
    assert job["MonitoringInputs"][0]["EndpointInput"]["EndpointName"] == outputs.endpoint_name
    assert job["Environment"]["MONITOR_PSI_THRESHOLD"] == "0.3"
    assert job["RoleArn"] == outputs.sagemaker_execution_role_arn
    assert job["MonitoringOutputConfig"]["KmsKeyId"] == outputs.artifacts_kms_key_arn
    assert job["MonitoringResources"]["ClusterConfig"] == {  # the defaults: as before #19's
        "InstanceCount": 1,  # settings, one ml.m5.large with 20 GB
        "InstanceType": "ml.m5.large",
        "VolumeSizeInGB": 20,
        "VolumeKmsKeyId": outputs.data_kms_key_arn,
    }
    vpc = job["NetworkConfig"]["VpcConfig"]
    assert vpc["Subnets"] == sorted(outputs.private_subnet_ids)
    assert job["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert job["StoppingCondition"]["MaxRuntimeInSeconds"] <= 3600
    # The endpoint's model names its endpoint and variant for the business metrics.
    model = aws.sagemaker.describe_model(ModelName=stored_model(aws, outputs))
    assert model["PrimaryContainer"]["Environment"] == {
        "SERVE_ENDPOINT_NAME": outputs.endpoint_name,
        "SERVE_VARIANT_NAME": "AllTraffic",
    }

    said.clear()
    manager.deploy(first, fast, said.append)  # already serving: the schedule is unchanged
    assert f"monitoring schedule {name}: unchanged" in said
    second = _package(aws, registry, outputs, 2, baseline=True)
    manager.deploy(second, fast, said.append)
    job = schedules(backend())[name]["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
    assert job["BaselineConfig"]["StatisticsResource"]["S3Uri"].endswith("/2/statistics.json")
    said.clear()
    manager.rollback(fast, said.append)
    assert any(": updated" in line for line in said)
    job = schedules(backend())[name]["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
    assert job["BaselineConfig"]["StatisticsResource"]["S3Uri"].endswith("/1/statistics.json")


def stored_model(aws: AwsClients, outputs: StackOutputs) -> str:
    endpoint = aws.sagemaker.describe_endpoint(EndpointName=outputs.endpoint_name)
    config = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    return str(config["ProductionVariants"][0]["ModelName"])


@pytest.mark.parametrize("case", ["no baseline", "capture off"])
def test_no_schedule_change_is_said_not_silent(
    aws: AwsClients,
    outputs: StackOutputs,
    registry: AwsModelRegistry,
    fast: PollSettings,
    case: str,
) -> None:
    put_alarms(aws)
    package = _package(aws, registry, outputs, 1, baseline=case != "no baseline")
    said: list[str] = []
    _manager(aws, outputs, capture=0 if case == "capture off" else 100).deploy(
        package, fast, said.append
    )
    assert schedules(backend()) == {}
    expected = "has no drift baseline" if case == "no baseline" else "data capture is off"
    assert any(expected in line for line in said), said


def test_the_schedules_instance_comes_from_the_environment_and_a_change_updates_it(
    aws: AwsClients, outputs: StackOutputs, registry: AwsModelRegistry, fast: PollSettings
) -> None:
    put_alarms(aws)
    package = _package(aws, registry, outputs, 1, baseline=True)
    larger = ScheduleResources(instance_type="ml.r5.xlarge", volume_size_gb=64)
    _manager(aws, outputs, monitoring=THRESHOLDS.model_copy(update={"schedule": larger})).deploy(
        package, fast, lambda _: None
    )
    name = schedule_name(outputs)
    config = schedules(backend())[name]["MonitoringScheduleConfig"]
    _check_against_botocore(name, config)
    cluster = config["MonitoringJobDefinition"]["MonitoringResources"]["ClusterConfig"]
    assert (cluster["InstanceType"], cluster["InstanceCount"], cluster["VolumeSizeInGB"]) == (
        "ml.r5.xlarge",
        1,
        64,
    )
    said: list[str] = []
    _manager(aws, outputs).deploy(package, fast, said.append)  # back to the default instance
    assert any(f"monitoring schedule {name}: updated" in line for line in said)
    job = schedules(backend())[name]["MonitoringScheduleConfig"]["MonitoringJobDefinition"]
    assert job["MonitoringResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.large"
