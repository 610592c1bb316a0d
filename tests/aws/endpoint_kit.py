"""What the endpoint tests share: the image every package names, the stack's alarm names, an
Approved version of the stack's group, and the rollback alarms the monitoring module creates."""

from __future__ import annotations

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.settings.stack_outputs import StackOutputs

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops-dev:1.0"
ALARMS = ("mlops-dev-endpoint-5xx-rate", "mlops-dev-endpoint-model-latency-p99")


def approved(registry: AwsModelRegistry, outputs: StackOutputs, number: int) -> ModelPackage:
    """Version ``number`` of the stack's group, Approved."""
    return registry.register(
        outputs.model_package_group_name,
        model_data_url=f"s3://mlops-dev-artifacts/models/{number}/model.tar.gz",
        image_uri=IMAGE,
        approval_status="Approved",
    )


def put_alarms(aws: AwsClients, period: int = 300, periods: int = 3) -> tuple[str, ...]:
    """The endpoint's alarms as the monitoring module creates them (found by name prefix)."""
    for name in ALARMS:
        aws.cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Statistic="Sum",
            Period=period,
            EvaluationPeriods=periods,
            Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold",
        )
    return ALARMS
