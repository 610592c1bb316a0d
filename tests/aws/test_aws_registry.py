"""The AWS registry beyond the shared conformance suite (tests/conformance runs that on moto):
how metrics and metadata live in SageMaker, versions the pipeline registered, and limits."""

from __future__ import annotations

import pytest
from moto_extensions import InjectError

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.model_registry import RegistryError

GROUP = "churn-model"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml:1.0"


@pytest.fixture
def registry(aws: AwsClients) -> AwsModelRegistry:
    registry = AwsModelRegistry(aws.sagemaker)
    registry.ensure_group(GROUP)
    return registry


def test_metrics_and_metadata_are_stored_as_sagemaker_metadata(
    aws: AwsClients, registry: AwsModelRegistry
) -> None:
    package = registry.register(
        GROUP,
        model_data_url="s3://models/1/model.tar.gz",
        image_uri=IMAGE,
        metrics={"auc": 0.9876543210123},
        metadata={"git_sha": "0123abcd"},
        metrics_uri="s3://models/eval/evaluation.json",
    )
    described = aws.sagemaker.describe_model_package(ModelPackageName=package.arn)
    assert described["CustomerMetadataProperties"] == {
        "git_sha": "0123abcd",
        "metric:auc": "0.9876543210123",
    }
    assert described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == (
        "s3://models/eval/evaluation.json"
    )
    container = described["InferenceSpecification"]["Containers"][0]
    assert (container["Image"], container["ModelDataUrl"]) == (IMAGE, "s3://models/1/model.tar.gz")


def test_an_approval_keeps_metrics_and_metadata(registry: AwsModelRegistry) -> None:
    # SageMaker's UpdateModelPackage keeps CustomerMetadataProperties it is not sent (moto's
    # did not: moto_extensions corrects it), so approving must not erase the metrics.
    package = registry.register(
        GROUP,
        model_data_url="s3://models/1/model.tar.gz",
        image_uri=IMAGE,
        metrics={"auc": 0.91},
        metadata={"git_sha": "0123abcd"},
    )
    approved = registry.set_status(GROUP, package.version, "Approved", reason="looks good")
    assert (approved.metrics, approved.metadata) == ({"auc": 0.91}, {"git_sha": "0123abcd"})
    assert approved.status_reason == "looks good" and approved.status_changed_at is not None


def test_a_version_the_pipeline_registered_reads_its_lineage(
    aws: AwsClients, registry: AwsModelRegistry
) -> None:
    # The shape of the pipeline's RegisterModel step (orchestrator/pipeline/register.py).
    aws.sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://a/Tune/models/job/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="PendingManualApproval",
        MetadataProperties={"CommitId": "abc123", "GeneratedBy": "arn:exec/1"},
        CustomerMetadataProperties={"gate_metric": "auc", "gate_metric_value": "0.93"},
    )
    [package] = registry.list_versions(GROUP)
    assert package.metadata == {
        "CommitId": "abc123",
        "GeneratedBy": "arn:exec/1",
        "gate_metric": "auc",
        "gate_metric_value": "0.93",
    }
    assert package.metrics == {} and package.model_data_url.endswith("/model.tar.gz")
    assert registry.get_by_arn(package.arn) == package


def test_reserved_and_oversized_metadata_is_refused(registry: AwsModelRegistry) -> None:
    with pytest.raises(RegistryError, match="uses for metrics"):
        registry.register(
            GROUP, model_data_url="s3://m/1", image_uri=IMAGE, metadata={"metric:auc": "1"}
        )
    with pytest.raises(RegistryError, match="limit of 50"):
        registry.register(
            GROUP,
            model_data_url="s3://m/1",
            image_uri=IMAGE,
            metrics={f"m{n}": float(n) for n in range(30)},
            metadata={f"k{n}": "v" for n in range(21)},
        )
    with pytest.raises(RegistryError, match="image_uri"):
        registry.register(GROUP, model_data_url="s3://m/1", image_uri="")
    assert registry.list_versions(GROUP) == []


def test_an_unknown_arn_is_a_registry_error(registry: AwsModelRegistry) -> None:
    with pytest.raises(RegistryError, match="does not exist"):
        registry.get_by_arn("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/9")


def test_listing_survives_a_throttled_page(aws: AwsClients, registry: AwsModelRegistry) -> None:
    for _ in range(3):
        registry.register(GROUP, model_data_url="s3://m/1", image_uri=IMAGE)
    throttle = InjectError(aws.sagemaker, "ListModelPackages", times=1)
    assert [p.version for p in registry.list_versions(GROUP)] == [1, 2, 3]
    assert throttle.calls == 2
