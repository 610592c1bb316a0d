"""Builders for small pipeline definitions and an in-memory registry, shared by the local-runner
tests. Processing steps run tiny Python programs (``sys.executable -c``) so the tests exercise
the runner, not the container programs, and take seconds."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from orchestrator.backends.model_registry import ModelPackage, RegistryError, check_transition


def processing_step(
    name: str,
    code: str,
    *,
    inputs: Sequence[tuple[str, Any, str]] = (),  # (input name, S3Uri expression, LocalPath)
    outputs: Sequence[tuple[str, Any, str]] = (),  # (output name, S3Uri expression, LocalPath)
    cache: bool = False,
    environment: dict[str, Any] | None = None,
    property_files: list[dict[str, str]] | None = None,
    depends_on: list[str] | None = None,
    arguments: list[Any] | None = None,
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceType": "ml.m5.large",
                    "InstanceCount": 1,
                    "VolumeSizeInGB": 1,
                }
            },
            "AppSpecification": {
                "ImageUri": "local/ml:latest",
                "ContainerEntrypoint": [sys.executable, "-c", code],
                **({"ContainerArguments": arguments} if arguments else {}),
            },
            "RoleArn": "arn:aws:iam::000000000000:role/local",
            "ProcessingInputs": [
                {
                    "InputName": input_name,
                    "S3Input": {
                        "S3Uri": uri,
                        "LocalPath": local,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                        "S3CompressionType": "None",
                    },
                }
                for input_name, uri, local in inputs
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": output_name,
                        "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": "EndOfJob"},
                    }
                    for output_name, uri, local in outputs
                ]
            },
            **({"Environment": environment} if environment else {}),
        },
    }
    if cache:
        step["CacheConfig"] = {"Enabled": True, "ExpireAfter": "P30D"}
    if property_files:
        step["PropertyFiles"] = property_files
    if depends_on:
        step["DependsOn"] = depends_on
    return step


def definition(
    steps: list[dict[str, Any]], parameters: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": list(parameters),
        "PipelineExperimentConfig": {
            "ExperimentName": {"Get": "Execution.PipelineName"},
            "TrialName": {"Get": "Execution.PipelineExecutionId"},
        },
        "Steps": steps,
    }


def get(reference: str) -> dict[str, str]:
    return {"Get": reference}


class MemoryRegistry:
    """The smallest honest implementation of the ``ModelRegistry`` protocol."""

    def __init__(self) -> None:
        self.groups: dict[str, list[ModelPackage]] = {}
        self._lock = threading.Lock()

    def ensure_group(
        self, group: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> None:
        self.groups.setdefault(group, [])

    def register(
        self,
        group: str,
        *,
        model_data_url: str,
        image_uri: str,
        approval_status: str = "PendingManualApproval",
        description: str = "",
        metrics: dict[str, float] | None = None,
        metrics_uri: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ModelPackage:
        with self._lock:
            if group not in self.groups:
                raise RegistryError(f"no model package group {group!r}")
            version = len(self.groups[group]) + 1
            package = ModelPackage(
                group=group,
                version=version,
                arn=f"arn:aws:sagemaker:local:000000000000:model-package/{group}/{version}",
                approval_status=approval_status,
                model_data_url=model_data_url,
                image_uri=image_uri,
                description=description,
                metrics=metrics or {},
                metrics_uri=metrics_uri,
                metadata=metadata or {},
                created_at=datetime.now(UTC),
            )
            self.groups[group].append(package)
            return package

    def get(self, group: str, version: int) -> ModelPackage:
        try:
            return self.groups[group][version - 1]
        except (KeyError, IndexError):
            raise RegistryError(f"no version {version} in {group!r}") from None

    def list_versions(self, group: str, status: str | None = None) -> list[ModelPackage]:
        return [p for p in self.groups.get(group, []) if status in (None, p.approval_status)]

    def list_groups(self) -> list[str]:
        return sorted(self.groups)

    def latest_approved(self, group: str) -> ModelPackage | None:
        approved = self.list_versions(group, "Approved")
        return approved[-1] if approved else None

    def set_status(self, group: str, version: int, status: str, reason: str = "") -> ModelPackage:
        package = self.get(group, version)
        check_transition(package.approval_status, status)
        updated = package.model_copy(update={"approval_status": status, "status_reason": reason})
        self.groups[group][version - 1] = updated
        return updated
