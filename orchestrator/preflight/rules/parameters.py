"""Names and values the orchestrator generates against botocore's service models, and the
documented incompatibilities between them.

- Every API-backed step's arguments against the SageMaker service model (shapes, lengths,
  patterns, enums: ``pipeline.api_validation``).
- The names the orchestrator derives (pipeline, endpoint, model package group; the stamped
  model and endpoint-config names of a deploy, at the longest version it will reach) against
  SageMaker's name shapes.
- Tags: keys 1-128 and values at most 256 characters, no ``aws:`` prefix (SageMaker API
  reference, Tag).
- A volume KMS key on an instance type with local NVMe storage: "You can't request a
  VolumeKmsKeyId when using an instance type with local storage" (API reference,
  ResourceConfig / ProcessingClusterConfig / TransformResources; CreateEndpointConfig's
  KmsKeyId likewise).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from orchestrator.backends.aws.names import SHAPES
from orchestrator.pipeline.api_validation import validate_api_arguments
from orchestrator.pipeline.step_graph import flatten_steps
from orchestrator.preflight.findings import Finding
from orchestrator.preflight.inputs import PreflightInputs, offline_outputs
from orchestrator.preflight.registry import rule
from orchestrator.settings.names import name_problem

# EC2's "Instance store volumes" table, for the families SageMaker offers: the d-suffixed
# general-purpose families and the GPU/accelerator families with NVMe instance storage.
_LOCAL_STORAGE = re.compile(
    r"^ml\.([mcr]\d+[a-z]*d|g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|trn1|trn1n)\."
)
LONGEST_VERSION = 99999


@rule("sagemaker-api-constraints", "step arguments fit SageMaker's service model", "definition")
def check_arguments(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.definition is not None
    for problem in validate_api_arguments(inputs.definition):
        yield Finding(
            "sagemaker-api-constraints",
            "pipeline definition",
            f"{problem}: SageMaker refuses the step (ValidationException) when it runs",
            "fix the setting in the environment file or the step builder",
        )


@rule("sagemaker-names", "generated names fit SageMaker's name rules")
def check_names(inputs: PreflightInputs) -> Iterator[Finding]:
    outputs = offline_outputs(inputs.environment, inputs.plan)
    stamped = f"{outputs.endpoint_name}-v{LONGEST_VERSION}-{datetime.now(UTC):%Y%m%d%H%M%S}-ffff"
    names = [
        ("PipelineName", outputs.pipeline_name),
        ("EndpointName", outputs.endpoint_name),
        ("EntityName", outputs.model_package_group_name),
        *((shape, stamped) for shape in SHAPES),
    ]
    for shape, value in names:
        problem = name_problem(shape, value)
        if problem:
            yield Finding(
                "sagemaker-names",
                value,
                f"as a {shape}, {problem}: SageMaker refuses it (ValidationException)",
                "shorten the project or environment name, or the name's setting",
            )


@rule("sagemaker-tags", "tags fit SageMaker's Tag rules")
def check_tags(inputs: PreflightInputs) -> Iterator[Finding]:
    config = inputs.environment
    extra = config.terraform.tags if config.terraform else {}
    tags = {"project": config.project, "environment": config.name, **extra}
    for key, value in tags.items():
        problem = None
        if not 1 <= len(key) <= 128:
            problem = f"the tag key {key!r} has {len(key)} characters (1-128 allowed)"
        elif len(value) > 256:
            problem = f"the value of tag {key!r} has {len(value)} characters (256 allowed)"
        elif key.lower().startswith("aws:"):
            problem = f"the tag key {key!r} uses the prefix aws:, which AWS reserves"
        if problem:
            yield Finding("sagemaker-tags", key, f"{problem}: the tagged create is refused",
                          "fix terraform.tags in the environment file")  # fmt: skip


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and str(value.get("Get", "")).startswith("Parameters."):
        return parameters.get(value["Get"].split(".", 1)[1])
    return value


def _clusters(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for step in flatten_steps(definition):
        arguments = step.arguments
        found = [
            arguments.get("ProcessingResources", {}).get("ClusterConfig"),
            arguments.get("TrainingJobDefinition", {}).get("ResourceConfig"),
            arguments.get("ResourceConfig"),
            arguments.get("TransformResources"),
        ]
        for cluster in found:
            if isinstance(cluster, dict):
                yield step.name, cluster


@rule("volume-kms-on-local-storage", "no volume KMS key on instance-store instances",
      "definition")  # fmt: skip
def check_volume_keys(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.definition is not None
    parameters = {p["Name"]: p.get("DefaultValue") for p in inputs.definition.get("Parameters", [])}
    config = inputs.environment
    serving = [
        ("endpoint", config.endpoint.instance_type),
        ("transform", config.transform.instance_type),
    ]
    for where, instance_type in serving:  # the orchestrator always sets KmsKeyId there
        yield from _local_storage(where, str(instance_type))
    for step, cluster in _clusters(inputs.definition):
        if cluster.get("VolumeKmsKeyId"):
            yield from _local_storage(
                f"step {step}", str(_resolve(cluster.get("InstanceType"), parameters))
            )


def _local_storage(where: str, instance_type: str) -> Iterator[Finding]:
    if _LOCAL_STORAGE.match(instance_type):
        yield Finding(
            "volume-kms-on-local-storage",
            where,
            f"{instance_type} has NVMe instance storage, and SageMaker refuses a volume KMS key "
            "with such instance types (ValidationException)",
            "choose an EBS-backed instance type (e.g. ml.m5 instead of ml.m5d), or drop the "
            "volume key for this resource (instance storage is encrypted by the hardware)",
        )
