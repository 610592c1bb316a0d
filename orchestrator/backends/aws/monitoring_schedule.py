"""The endpoint's drift schedule: a SageMaker Model Monitor monitoring schedule that runs the
image's ``monitor`` entry point every hour on the data the endpoint captured (docs/monitoring.md).

After every deploy or rollback that leaves a model serving with data capture on, the schedule is
converged to that model: created when missing, updated when its job definition differs (another
image, baseline or threshold), left alone otherwise. Its job follows the ``monitor`` container's
bring-your-own-container contract (docs/monitoring.md, "The monitor container entry point"):

* ``MonitoringAppSpecification``: the served model package's image (by digest), entry point
  ``monitor``; ``Environment``: the environment file's ``monitoring:`` thresholds;
* ``MonitoringInputs``: the endpoint (SageMaker reads its capture prefix itself);
* ``BaselineConfig``: the package's ``DriftCheckBaselines.ModelDataQuality`` (DescribeModelPackage);
* reports to ``s3://<artifacts>/monitoring/<endpoint>/reports`` under the artifacts key, the data
  key on the volume, the jobs role, the stack's subnets and security groups, network isolation
  and inter-container encryption, at most an hour per run (``cron(0 * ? * * *)``: hourly, the
  finest period Model Monitor schedules);
* the job's instance type, count and volume: the environment file's ``monitoring.schedule``
  (default one ``ml.m5.large`` with 20 GB).

A version without a drift baseline (registered before the baseline existed) gets no schedule
change, and the deploy says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.aws.backend import AwsEndpointManager
from orchestrator.backends.aws.clients import AwsClients, aws_errors
from orchestrator.backends.base import DeploymentResult, Progress
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings
from orchestrator.pipeline.security import vpc_config
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.monitoring import (
    MonitoringSettings,
    ScheduleResources,
    monitor_environment,
)
from orchestrator.settings.stack_outputs import StackOutputs

HOURLY = "cron(0 * ? * * *)"
MAX_RUNTIME_SECONDS = 3600  # an hourly schedule's job must end within the hour
INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/resultdata"


def schedule_name(outputs: StackOutputs) -> str:
    """``<endpoint>-drift``: the name the orchestrator's IAM policy allows."""
    return f"{outputs.endpoint_name}-drift"


def reports_uri(outputs: StackOutputs) -> str:
    return f"s3://{outputs.artifacts_bucket}/monitoring/{outputs.endpoint_name}/reports"


def drift_baseline(description: Mapping[str, Any]) -> tuple[str, str] | None:
    """(statistics, constraints) S3 URIs of a DescribeModelPackage answer, or None."""
    quality = description.get("DriftCheckBaselines", {}).get("ModelDataQuality", {})
    statistics = quality.get("Statistics", {}).get("S3Uri")
    constraints = quality.get("Constraints", {}).get("S3Uri")
    if not statistics or not constraints:
        return None
    return str(statistics), str(constraints)


def job_definition(
    outputs: StackOutputs,
    image_uri: str,
    baseline: tuple[str, str],
    environment: Mapping[str, str],
    resources: ScheduleResources | None = None,
) -> dict[str, Any]:
    """The schedule's MonitoringJobDefinition for the ``monitor`` container, on ``resources``
    (the environment file's ``monitoring.schedule``; default one ml.m5.large, 20 GB)."""
    resources = resources or ScheduleResources()
    statistics, constraints = baseline
    network: dict[str, Any] = {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": True,
    }
    vpc = vpc_config(outputs)
    if vpc is not None:
        network["VpcConfig"] = vpc
    return {
        "BaselineConfig": {
            "ConstraintsResource": {"S3Uri": constraints},
            "StatisticsResource": {"S3Uri": statistics},
        },
        "MonitoringInputs": [
            {
                "EndpointInput": {
                    "EndpointName": outputs.endpoint_name,
                    "LocalPath": INPUT_PATH,
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                }
            }
        ],
        "MonitoringOutputConfig": {
            "MonitoringOutputs": [
                {
                    "S3Output": {
                        "S3Uri": reports_uri(outputs),
                        "LocalPath": OUTPUT_PATH,
                        "S3UploadMode": "EndOfJob",
                    }
                }
            ],
            "KmsKeyId": outputs.artifacts_kms_key_arn,
        },
        "MonitoringResources": {
            "ClusterConfig": {
                "InstanceCount": resources.instance_count,
                "InstanceType": resources.instance_type,
                "VolumeSizeInGB": resources.volume_size_gb,
                "VolumeKmsKeyId": outputs.data_kms_key_arn,
            }
        },
        "MonitoringAppSpecification": {"ImageUri": image_uri, "ContainerEntrypoint": ["monitor"]},
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
        "Environment": dict(environment),
        "NetworkConfig": network,
        "RoleArn": outputs.sagemaker_execution_role_arn,
    }


def schedule_config(definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "ScheduleConfig": {"ScheduleExpression": HOURLY},
        "MonitoringJobDefinition": definition,
        "MonitoringType": "DataQuality",
    }


def converge_schedule(
    sagemaker: Any,
    outputs: StackOutputs,
    package_arn: str,
    monitoring: MonitoringSettings,
    say: Progress,
) -> str:
    """Create or update the schedule for the package ``package_arn`` serves; returns what was
    done: ``created``, ``updated``, ``unchanged`` or ``skipped`` (no drift baseline)."""
    name = schedule_name(outputs)
    with aws_errors(f"read model package {package_arn}"):
        package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    baseline = drift_baseline(package)
    if baseline is None:
        say(
            f"monitoring schedule {name}: not changed: {package_arn} has no drift baseline "
            "(DriftCheckBaselines.ModelDataQuality); register a version from a pipeline run "
            "that writes one to monitor drift"
        )
        return "skipped"
    image = str(package["InferenceSpecification"]["Containers"][0]["Image"])
    environment = monitor_environment(monitoring)
    definition = job_definition(outputs, image, baseline, environment, monitoring.schedule)
    wanted = schedule_config(definition)
    current = _describe(sagemaker, name)
    if current is None:
        tags = [
            {"Key": "project", "Value": outputs.project},
            {"Key": "environment", "Value": outputs.environment},
        ]
        with aws_errors(f"create monitoring schedule {name}"):
            sagemaker.create_monitoring_schedule(
                MonitoringScheduleName=name, MonitoringScheduleConfig=wanted, Tags=tags
            )
        say(f"monitoring schedule {name}: created (hourly drift check of {package_arn})")
        return "created"
    if _same(current.get("MonitoringScheduleConfig", {}), wanted):
        say(f"monitoring schedule {name}: unchanged")
        return "unchanged"
    with aws_errors(f"update monitoring schedule {name}"):
        sagemaker.update_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=wanted
        )
    say(f"monitoring schedule {name}: updated to {package_arn}'s image and baseline")
    return "updated"


def _describe(sagemaker: Any, name: str) -> dict[str, Any] | None:
    with aws_errors(f"describe monitoring schedule {name}"):
        try:
            return dict(sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name))
        except sagemaker.exceptions.ResourceNotFound:
            return None


def _same(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """The parts the orchestrator sets are equal (SageMaker may add defaults elsewhere)."""
    return all(current.get(key) == value for key, value in wanted.items())


class MonitoredEndpointManager(AwsEndpointManager):
    """The stack's endpoint manager, converging the drift schedule after each deploy and
    rollback when data capture is on (``endpoint.data_capture_percent`` > 0)."""

    def __init__(
        self,
        clients: AwsClients,
        runtime: Any,
        outputs: StackOutputs,
        settings: EndpointSettings,
        monitoring: MonitoringSettings,
    ) -> None:
        super().__init__(clients, runtime, outputs, settings)
        self.monitoring = monitoring

    def deploy(
        self,
        package: ModelPackage,
        poll: PollSettings,
        progress: Progress,
        *,
        recreate_failed: bool = False,
    ) -> DeploymentResult:
        result = super().deploy(package, poll, progress, recreate_failed=recreate_failed)
        return self._monitored(result, progress)

    def rollback(self, poll: PollSettings, progress: Progress) -> DeploymentResult:
        return self._monitored(super().rollback(poll, progress), progress)

    def _monitored(self, result: DeploymentResult, progress: Progress) -> DeploymentResult:
        if self.settings.data_capture_percent == 0:
            progress("monitoring schedule: none (data capture is off: data_capture_percent 0)")
        elif result.model_package_arn:
            converge_schedule(
                self.clients.sagemaker,
                self.outputs,
                result.model_package_arn,
                self.monitoring,
                progress,
            )
        return result
