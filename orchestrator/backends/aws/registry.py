"""The AWS-backed model registry: the SageMaker Model Registry behind the ``ModelRegistry``
protocol, so the CLI, the deploy and the conformance suite treat it like the SQLite one.

How the protocol maps onto SageMaker:

- group -> model package group; version -> versioned model package (SageMaker numbers them);
- ``model_data_url``/``image_uri`` -> the first InferenceSpecification container;
- ``metrics_uri`` -> ModelMetrics.ModelQuality.Statistics (the evaluation report);
- ``metrics`` -> CustomerMetadataProperties entries ``metric:<name>`` (SageMaker keeps only the
  report's S3 URI, but a registry listing should show the numbers without reading S3; ``repr``
  of a float reads back to the same float);
- ``metadata`` -> the other CustomerMetadataProperties, plus MetadataProperties (CommitId,
  Repository, GeneratedBy, ProjectId) on read, as the local runner's registration merges them;
- ``status_reason`` -> ApprovalDescription; ``status_changed_at`` -> LastModifiedTime (only an
  approval change updates a package here, so it is when the status last changed).

Every list call is paginated. Transitions are checked with the protocol's ``check_transition``
before UpdateModelPackage is sent, so both backends refuse the same changes with the same words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import (
    aws_errors,
    describe_or_none,
    error_message,
    is_missing,
)
from orchestrator.backends.aws.pagination import list_all
from orchestrator.backends.model_registry import (
    ApprovalStatus,
    ModelPackage,
    RegistryError,
    check_group_name,
    check_status,
    check_transition,
)
from orchestrator.backends.recovery import StatusChange
from orchestrator.pipeline import names

METRIC_PREFIX = "metric:"
# SageMaker's limit on CustomerMetadataProperties entries (metrics and metadata together).
MAX_CUSTOMER_METADATA = 50
_METADATA_PROPERTY_KEYS = ("CommitId", "Repository", "GeneratedBy", "ProjectId")


class AwsModelRegistry:
    """A :class:`ModelRegistry` on the SageMaker Model Registry.

    ``sagemaker`` is a boto3 SageMaker client (see :func:`clients.connect`).
    """

    def __init__(self, sagemaker: Any) -> None:
        self.sagemaker = sagemaker

    # -- groups --------------------------------------------------------------------------------
    def ensure_group(
        self, group: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> None:
        check_group_name(group)
        if self._describe_group(group) is not None:
            return
        request: dict[str, Any] = {"ModelPackageGroupName": group}
        if description:
            request["ModelPackageGroupDescription"] = description
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        with aws_errors(f"create model package group {group}"):
            try:
                self.sagemaker.create_model_package_group(**request)
            except ClientError:
                # Another process may have created it between describe and create.
                if self._describe_group(group) is None:
                    raise

    def list_groups(self) -> list[str]:
        with aws_errors("list model package groups"):
            summaries = list_all(
                self.sagemaker, "list_model_package_groups", "ModelPackageGroupSummaryList"
            )
        return sorted(s["ModelPackageGroupName"] for s in summaries)

    # -- versions ------------------------------------------------------------------------------
    def register(
        self,
        group: str,
        *,
        model_data_url: str,
        image_uri: str,
        approval_status: ApprovalStatus = "PendingManualApproval",
        description: str = "",
        metrics: dict[str, float] | None = None,
        metrics_uri: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ModelPackage:
        check_group_name(group)
        check_status(approval_status)
        if not model_data_url:
            raise RegistryError("register needs model_data_url: the S3 URI of the model.tar.gz")
        if not image_uri:
            raise RegistryError("register needs image_uri: the serving container image")
        customer = _customer_metadata(metrics or {}, metadata or {})
        self._require_group(group)
        request: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "InferenceSpecification": {
                "Containers": [{"Image": image_uri, "ModelDataUrl": model_data_url}],
                "SupportedContentTypes": ["text/csv", "application/json"],
                "SupportedResponseMIMETypes": ["application/json", "text/csv"],
            },
            "ModelApprovalStatus": approval_status,
        }
        if description:
            request["ModelPackageDescription"] = description
        if metrics_uri:
            request["ModelMetrics"] = {
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": metrics_uri}
                }
            }
        if customer:
            request["CustomerMetadataProperties"] = customer
        drift = _drift_baselines(metadata or {})
        if drift:
            request["DriftCheckBaselines"] = drift
        with aws_errors(f"register a model version in {group}"):
            arn = self.sagemaker.create_model_package(**request)["ModelPackageArn"]
            return _package(self.sagemaker.describe_model_package(ModelPackageName=arn))

    def get(self, group: str, version: int) -> ModelPackage:
        return _package(self._describe_version(group, version))

    def get_by_arn(self, arn: str) -> ModelPackage:
        """The version a model package ARN names (as printed by ``models list``)."""
        with aws_errors(f"describe model package {arn}"):
            try:
                return _package(self.sagemaker.describe_model_package(ModelPackageName=arn))
            except ClientError as exc:
                if not is_missing(exc):
                    raise
                reason = error_message(exc)
        raise RegistryError(
            f"model package {arn} does not exist ({reason}); list the versions with "
            "`orchestrator models list`"
        )

    def list_versions(self, group: str, status: ApprovalStatus | None = None) -> list[ModelPackage]:
        summaries = self._summaries(group, status)
        with aws_errors(f"describe the model versions of {group}"):
            packages = [
                _package(
                    self.sagemaker.describe_model_package(ModelPackageName=s["ModelPackageArn"])
                )
                for s in summaries
            ]
        return sorted(packages, key=lambda p: p.version)

    def latest_approved(self, group: str) -> ModelPackage | None:
        summaries = self._summaries(group, "Approved")
        if not summaries:
            return None
        newest = max(summaries, key=lambda s: int(s["ModelPackageVersion"]))
        with aws_errors(f"describe the latest approved version of {group}"):
            return _package(
                self.sagemaker.describe_model_package(ModelPackageName=newest["ModelPackageArn"])
            )

    def set_status(
        self, group: str, version: int, status: ApprovalStatus, reason: str = ""
    ) -> ModelPackage:
        check_status(status)
        current = _package(self._describe_version(group, version))
        check_transition(current.approval_status, status)
        if status == current.approval_status and not reason:
            return current
        with aws_errors(f"set version {version} of {group} to {status}"):
            self.sagemaker.update_model_package(
                ModelPackageArn=current.arn,
                ModelApprovalStatus=status,
                ApprovalDescription=reason,
            )
            return _package(self.sagemaker.describe_model_package(ModelPackageName=current.arn))

    # -- recovery (backends/recovery.py: StatusHistory) ---------------------------------------
    keeps_full_approval_history = False

    def approval_history(self, group: str, version: int) -> list[StatusChange]:
        """SageMaker keeps no approval history: only the current status, its
        ApprovalDescription and LastModifiedTime (when the package last changed)."""
        package = _package(self._describe_version(group, version))
        changed = package.status_changed_at or package.created_at
        return [StatusChange(package.approval_status, package.status_reason, changed)]

    # -- helpers -------------------------------------------------------------------------------
    def _describe_group(self, group: str) -> dict[str, Any] | None:
        return describe_or_none(
            f"describe model package group {group}",
            lambda: self.sagemaker.describe_model_package_group(ModelPackageGroupName=group),
        )

    def _require_group(self, group: str) -> dict[str, Any]:
        if not isinstance(group, str) or not group:
            raise RegistryError(f"model package group {group!r} does not exist")
        found = self._describe_group(group)
        if found is None:
            raise RegistryError(
                f"model package group {group!r} does not exist in SageMaker "
                f"({self.sagemaker.meta.region_name}); create it with ensure_group (the "
                "Terraform registry module does) or check the name"
            )
        return found

    def _describe_version(self, group: str, version: int) -> dict[str, Any]:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise RegistryError(f"a model version is a whole number from 1, got {version!r}")
        found = self._require_group(group)
        arn = _version_arn(str(found["ModelPackageGroupArn"]), group, version)
        with aws_errors(f"describe version {version} of {group}"):
            try:
                return dict(self.sagemaker.describe_model_package(ModelPackageName=arn))
            except ClientError as exc:
                if not is_missing(exc):
                    raise
        raise RegistryError(
            f"model package group {group!r} has no version {version}; list its versions with "
            "`orchestrator models list`"
        )

    def _summaries(self, group: str, status: ApprovalStatus | None) -> list[dict[str, Any]]:
        if status is not None:
            check_status(status)
        self._require_group(group)
        params: dict[str, Any] = {"ModelPackageGroupName": group, "ModelPackageType": "Versioned"}
        if status is not None:
            params["ModelApprovalStatus"] = status
        with aws_errors(f"list the model versions of {group}"):
            return list_all(
                self.sagemaker, "list_model_packages", "ModelPackageSummaryList", **params
            )


def _version_arn(group_arn: str, group: str, version: int) -> str:
    """A version's ARN from its group's: SageMaker writes resource names in ARNs lowercase."""
    prefix = group_arn.split(":model-package-group/", 1)[0]
    return f"{prefix}:model-package/{group.lower()}/{version}"


def _drift_baselines(metadata: dict[str, str]) -> dict[str, Any] | None:
    """DriftCheckBaselines.ModelDataQuality from the baseline the metadata names (a promoted or
    restored version's copy), as the pipeline's Register step sets it: the Model Monitor
    schedule (monitoring_schedule.py) reads the served package's baseline there."""
    statistics = metadata.get(names.BASELINE_STATISTICS_KEY)
    constraints = metadata.get(names.BASELINE_CONSTRAINTS_KEY)
    if not (statistics and constraints):
        return None
    return {
        "ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": statistics},
            "Constraints": {"ContentType": "application/json", "S3Uri": constraints},
        }
    }


def _customer_metadata(metrics: dict[str, float], metadata: dict[str, str]) -> dict[str, str]:
    """CustomerMetadataProperties holding both the metrics and the metadata (checked)."""
    customer: dict[str, str] = {}
    for name, text_value in metadata.items():
        key = str(name)
        if key.startswith(METRIC_PREFIX):
            raise RegistryError(
                f"metadata key {key!r} starts with {METRIC_PREFIX!r}, which this registry uses "
                "for metrics; pass it in metrics= or rename it"
            )
        text = str(text_value)
        if not text:
            raise RegistryError(f"metadata {key!r} is empty; SageMaker stores non-empty values")
        customer[key] = text
    for name, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise RegistryError(f"metric {name!r} is {value!r}, not a number") from None
        if not math.isfinite(number):
            raise RegistryError(f"metric {name!r} is {number}; a registered metric must be finite")
        customer[f"{METRIC_PREFIX}{name}"] = repr(number)
    if len(customer) > MAX_CUSTOMER_METADATA:
        raise RegistryError(
            f"{len(metrics)} metrics and {len(metadata)} metadata entries exceed SageMaker's "
            f"limit of {MAX_CUSTOMER_METADATA} CustomerMetadataProperties; register fewer"
        )
    return customer


def _package(described: dict[str, Any]) -> ModelPackage:
    containers = (described.get("InferenceSpecification") or {}).get("Containers") or [{}]
    customer = {
        str(k): str(v) for k, v in (described.get("CustomerMetadataProperties") or {}).items()
    }
    metrics = {
        key.removeprefix(METRIC_PREFIX): float(value)
        for key, value in customer.items()
        if key.startswith(METRIC_PREFIX)
    }
    lineage = described.get("MetadataProperties") or {}
    metadata = {key: str(lineage[key]) for key in _METADATA_PROPERTY_KEYS if lineage.get(key)}
    metadata.update({k: v for k, v in customer.items() if not k.startswith(METRIC_PREFIX)})
    statistics = ((described.get("ModelMetrics") or {}).get("ModelQuality") or {}).get(
        "Statistics"
    ) or {}
    return ModelPackage(
        group=described["ModelPackageGroupName"],
        version=int(described["ModelPackageVersion"]),
        arn=described["ModelPackageArn"],
        approval_status=described.get("ModelApprovalStatus") or "PendingManualApproval",
        model_data_url=str(containers[0].get("ModelDataUrl") or ""),
        image_uri=str(containers[0].get("Image") or ""),
        description=str(described.get("ModelPackageDescription") or ""),
        metrics=metrics,
        metrics_uri=statistics.get("S3Uri"),
        metadata=metadata,
        created_at=described["CreationTime"],
        status_reason=str(described.get("ApprovalDescription") or ""),
        status_changed_at=described.get("LastModifiedTime"),
    )
