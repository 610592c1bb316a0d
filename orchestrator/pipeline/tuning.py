"""The Tune step: a hyperparameter tuning job over the `train` program.

Arguments are a CreateHyperParameterTuningJob request minus the job name: the search
(strategy, limits, objective, ranges) and one training job definition (image, channels from
Preprocess, static hyperparameters, output, resources, network, KMS). The objective and the
MetricDefinitions regex come from ``ml_containers.schema.OBJECTIVES`` for the dataset's problem
type, the same table the `train` program prints its metrics from, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

from ml_containers.schema import OBJECTIVES

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import locations, names, security
from orchestrator.pipeline.config import HyperparameterRange, PipelineConfig
from orchestrator.pipeline.processing import cache_config
from orchestrator.pipeline.step_types.tuning import TUNING
from orchestrator.settings.stack_outputs import StackOutputs


def parameter_ranges(ranges: list[HyperparameterRange]) -> dict[str, list[dict[str, Any]]]:
    """SageMaker's ParameterRanges, each list sorted by name (deterministic output)."""
    continuous: list[dict[str, Any]] = []
    integer: list[dict[str, Any]] = []
    categorical: list[dict[str, Any]] = []
    for item in sorted(ranges, key=lambda r: r.name):
        if item.kind == "categorical":
            categorical.append({"Name": item.name, "Values": list(item.values or [])})
            continue
        assert item.min is not None and item.max is not None  # checked by the config model
        bounds = (
            (str(int(item.min)), str(int(item.max)))
            if item.kind == "integer"
            else (repr(float(item.min)), repr(float(item.max)))
        )
        entry = {
            "Name": item.name,
            "MinValue": bounds[0],
            "MaxValue": bounds[1],
            "ScalingType": item.scaling,
        }
        (integer if item.kind == "integer" else continuous).append(entry)
    return {
        "ContinuousParameterRanges": continuous,
        "IntegerParameterRanges": integer,
        "CategoricalParameterRanges": categorical,
    }


def metric_definitions(config: PipelineConfig) -> list[dict[str, str]]:
    """The objective (read by the tuner) and its training-set twin (for the job's charts)."""
    objective = OBJECTIVES[config.dataset.problem_type]
    metric = objective.tuning_metric
    return [
        {"Name": objective.tuning_metric_name, "Regex": objective.tuning_metric_regex},
        {"Name": f"train:{metric}", "Regex": rf"train:{metric}=([0-9eE.+-]+)"},
    ]


# The train split is sharded across a training job's hosts (preprocess writes one part file per
# host, so each gets one); validation and the transform bundle are whole on every host. On one
# host ShardedByS3Key hands it every object, so the setting is right for any InstanceCount.
SHARDED_CHANNELS = frozenset({"train"})


def channel(name: str, source: Any, content_type: str | None) -> dict[str, Any]:
    distribution = "ShardedByS3Key" if name in SHARDED_CHANNELS else "FullyReplicated"
    entry: dict[str, Any] = {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": source,
                "S3DataDistributionType": distribution,
            }
        },
    }
    if content_type:
        entry["ContentType"] = content_type
    return entry


def training_job_definition(
    config: PipelineConfig, outputs: StackOutputs, image_uri: str, pipeline: str
) -> dict[str, Any]:
    """The TrainingJobDefinition every trial of the tuning job runs."""
    tuning = config.tuning
    channels = [
        channel(
            name,
            ex.processing_output_uri(names.PREPROCESS, name),
            "text/csv" if name in ("train", "validation") else None,
        )
        for name in names.TRAINING_CHANNELS
    ]
    return {
        "StaticHyperParameters": {
            k: tuning.static_hyperparameters[k] for k in sorted(tuning.static_hyperparameters)
        },
        "AlgorithmSpecification": {
            "TrainingImage": image_uri,
            "TrainingInputMode": "File",
            "MetricDefinitions": metric_definitions(config),
        },
        "RoleArn": outputs.sagemaker_execution_role_arn,
        "InputDataConfig": channels,
        "OutputDataConfig": {
            "S3OutputPath": locations.tuning_output_path(outputs, pipeline),
            "KmsKeyId": security.output_kms_key(outputs),
        },
        "ResourceConfig": {
            "InstanceType": ex.parameter(names.TRAINING_INSTANCE_TYPE),
            "InstanceCount": ex.parameter(names.TRAINING_INSTANCE_COUNT),
            "VolumeSizeInGB": config.training.volume_size_gb,
            "VolumeKmsKeyId": security.volume_kms_key(outputs),
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": config.training.max_runtime_seconds},
        **security.training_network_settings(config, outputs),
    }


def tune_step(
    config: PipelineConfig, outputs: StackOutputs, image_uri: str, pipeline: str
) -> dict[str, Any]:
    tuning = config.tuning
    objective = OBJECTIVES[config.dataset.problem_type]
    arguments = {
        "HyperParameterTuningJobConfig": {
            "Strategy": tuning.strategy,
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": ex.parameter(names.MAX_TUNING_JOBS),
                "MaxParallelTrainingJobs": ex.parameter(names.MAX_PARALLEL_TUNING_JOBS),
            },
            "TrainingJobEarlyStoppingType": tuning.early_stopping,
            "HyperParameterTuningJobObjective": {
                "Type": objective.tuning_direction,
                "MetricName": objective.tuning_metric_name,
            },
            "ParameterRanges": parameter_ranges(tuning.ranges),
            "RandomSeed": tuning.random_seed,
        },
        "TrainingJobDefinition": training_job_definition(config, outputs, image_uri, pipeline),
        "Tags": security.tags(config, outputs),
    }
    return {
        "Name": names.TUNE,
        "Type": TUNING.name,
        "Arguments": arguments,
        "CacheConfig": cache_config(config),
    }
