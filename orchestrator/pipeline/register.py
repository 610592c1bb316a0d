"""The Register step: a model package version in the dataset's model package group.

Arguments are a CreateModelPackage request (the SDK's RegisterModel step shape): the serving
container with the best training job's model, the content types the `serve` program accepts, the
approval status parameter, the evaluation report as ModelQuality statistics, the drift baseline
(ModelDataQuality and DriftCheckBaselines), and lineage (code version, input data, schema, gate
metric value) in MetadataProperties/CustomerMetadataProperties so a registered version can be
traced back to what produced it.
"""

from __future__ import annotations

from typing import Any

from orchestrator.data.identity import model_group_name, serving_signature
from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import locations, names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.evaluate import gate_report
from orchestrator.pipeline.step_types.register_model import REGISTER_MODEL
from orchestrator.settings.stack_outputs import StackOutputs


def lineage_metadata(config: PipelineConfig, outputs: StackOutputs) -> dict[str, Any]:
    """CustomerMetadataProperties: string values only, so numbers are rendered with Std:Join."""
    return {
        "code_version": config.code_version,
        "project": outputs.project,
        "environment": outputs.environment,
        "input_data": ex.parameter(names.INPUT_DATA),
        "input_data_version": ex.parameter(names.INPUT_DATA_VERSION),
        # The held-out rows (batch.csv, labels.csv) the endpoint test sends to a deployment.
        "test_data": ex.processing_output_uri(names.PREPROCESS, "batch"),
        "schema_uri": ex.parameter(names.SCHEMA_URI),
        "schema_name": config.dataset.name,
        "serving_signature": serving_signature(config.dataset),
        "problem_type": config.dataset.problem_type.value,
        # The run's gate (GateMetric), as Evaluate measured it: endpoint-test compares with it.
        "gate_metric": ex.parameter(names.GATE_METRIC),
        "gate_metric_value": ex.as_text(gate_report("value")),
        "gate_threshold": ex.as_text(ex.parameter(names.METRIC_THRESHOLD)),
    }


def drift_baseline() -> dict[str, Any]:
    """Model Monitor's statistics.json and constraints.json of the training split, written by
    Evaluate (``ml_containers.evaluate.baseline``): a MetricsSource pair."""
    return {
        "Statistics": {
            "ContentType": "application/json",
            "S3Uri": locations.evaluation_file_uri(names.BASELINE_STATISTICS_FILE),
        },
        "Constraints": {
            "ContentType": "application/json",
            "S3Uri": locations.evaluation_file_uri(names.BASELINE_CONSTRAINTS_FILE),
        },
    }


def register_step(
    config: PipelineConfig, outputs: StackOutputs, image_uri: str, pipeline: str
) -> dict[str, Any]:
    inference = config.inference
    metadata: dict[str, Any] = {
        "CommitId": config.code_version,
        "GeneratedBy": ex.execution("PipelineExecutionArn"),
    }
    if config.code_repository:
        metadata["Repository"] = config.code_repository
    arguments = {
        "ModelPackageGroupName": model_group_name(
            outputs.model_package_group_name, config.dataset.name
        ),
        "ModelPackageDescription": (
            f"{config.dataset.name} ({config.dataset.problem_type.value}) from pipeline {pipeline}"
        ),
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": image_uri,
                    "Environment": dict(sorted(inference.environment.items())),
                    "ModelDataUrl": locations.best_model_uri(outputs, pipeline),
                }
            ],
            "SupportedContentTypes": list(inference.content_types),
            "SupportedResponseMIMETypes": list(inference.response_types),
            "SupportedRealtimeInferenceInstanceTypes": list(inference.realtime_instance_types),
            "SupportedTransformInstanceTypes": list(inference.transform_instance_types),
        },
        "ModelApprovalStatus": ex.parameter(names.MODEL_APPROVAL_STATUS),
        "ModelMetrics": {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": locations.evaluation_report_uri(),
                }
            },
            "ModelDataQuality": drift_baseline(),
        },
        # What a data-quality monitor compares captured requests with (docs/monitoring.md).
        "DriftCheckBaselines": {"ModelDataQuality": drift_baseline()},
        "MetadataProperties": metadata,
        "CustomerMetadataProperties": lineage_metadata(config, outputs),
        # No Tags: a versioned package takes its group's tags; CreateModelPackage rejects both.
        "SkipModelValidation": "None",
    }
    return {"Name": names.REGISTER, "Type": REGISTER_MODEL.name, "Arguments": arguments}
