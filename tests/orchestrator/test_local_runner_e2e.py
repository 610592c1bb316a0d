"""The local runner on the real container programs: preprocess -> tune (2 trials of `train`) ->
evaluate -> condition -> register, on the demo data written by `generate-data demo`. The
definition is written here from SageMaker's documented shapes (not by the pipeline builder), so
this checks the runner against the container contracts in docs/architecture.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from local_runner_support import definition, get

from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.local.runner import LocalRunner

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
BUCKET = "s3://demo-bucket"


def _output(name: str, local: str) -> dict:
    return {
        "OutputName": name,
        "S3Output": {
            "S3Uri": {
                "Std:Join": {
                    "On": "/",
                    "Values": [
                        BUCKET,
                        "runs",
                        get("Execution.PipelineExecutionId"),
                        "preprocess",
                        name,
                    ],
                }
            },
            "LocalPath": local,
            "S3UploadMode": "EndOfJob",
        },
    }


def _input(name: str, uri, local: str) -> dict:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
            "S3CompressionType": "None",
        },
    }


def _prep(name: str) -> dict:
    return get(f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")


def _channel(name: str) -> dict:
    return {
        "ChannelName": name,
        "ContentType": "text/csv",
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": _prep(name),
                "S3DataDistributionType": "FullyReplicated",
            }
        },
    }


BEST_MODEL = {
    "Std:Join": {
        "On": "/",
        "Values": [
            f"{BUCKET}/models",
            get("Steps.Tune.TrainingJobSummaries[0].TrainingJobName"),
            "output/model.tar.gz",
        ],
    }
}
EVALUATION = get("Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri")
RESOURCES = {
    "ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}
}

DEMO_PIPELINE = definition(
    [
        {
            "Name": "Preprocess",
            "Type": "Processing",
            "CacheConfig": {"Enabled": True, "ExpireAfter": "P30D"},
            "Arguments": {
                "ProcessingResources": RESOURCES,
                "AppSpecification": {
                    "ImageUri": "local/ml:latest",
                    "ContainerEntrypoint": ["preprocess"],
                    "ContainerArguments": ["--seed", "7"],
                },
                "RoleArn": "arn:aws:iam::000000000000:role/local",
                "ProcessingInputs": [
                    _input("data", get("Parameters.InputData"), "/opt/ml/processing/input/data"),
                    _input(
                        "schema", get("Parameters.SchemaUri"), "/opt/ml/processing/input/schema"
                    ),
                ],
                "ProcessingOutputConfig": {
                    "Outputs": [
                        _output(name, f"/opt/ml/processing/output/{name}")
                        for name in ("train", "validation", "test", "transform", "batch", "report")
                    ]
                },
            },
        },
        {
            "Name": "Tune",
            "Type": "Tuning",
            "CacheConfig": {"Enabled": True, "ExpireAfter": "P30D"},
            "Arguments": {
                "HyperParameterTuningJobConfig": {
                    "Strategy": "Bayesian",
                    "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
                    "HyperParameterTuningJobObjective": {
                        "Type": "Maximize",
                        "MetricName": "validation:auc",
                    },
                    "ParameterRanges": {
                        "IntegerParameterRanges": [
                            {
                                "Name": "max_depth",
                                "MinValue": "2",
                                "MaxValue": "5",
                                "ScalingType": "Auto",
                            }
                        ],
                        "ContinuousParameterRanges": [
                            {
                                "Name": "eta",
                                "MinValue": "0.1",
                                "MaxValue": "0.5",
                                "ScalingType": "Logarithmic",
                            }
                        ],
                    },
                    "TrainingJobEarlyStoppingType": "Off",
                },
                "TrainingJobDefinition": {
                    "AlgorithmSpecification": {
                        "TrainingImage": "local/ml:latest",
                        "TrainingInputMode": "File",
                        "MetricDefinitions": [
                            {"Name": "validation:auc", "Regex": r"validation:auc=([0-9eE.+-]+)"}
                        ],
                    },
                    "RoleArn": "arn:aws:iam::000000000000:role/local",
                    "StaticHyperParameters": {"num_round": "20"},
                    "InputDataConfig": [_channel(c) for c in ("train", "validation", "transform")],
                    "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/models"},
                    "ResourceConfig": {
                        "InstanceType": "ml.m5.large",
                        "InstanceCount": 1,
                        "VolumeSizeInGB": 10,
                    },
                    "StoppingCondition": {"MaxRuntimeInSeconds": 300},
                },
            },
        },
        {
            "Name": "Evaluate",
            "Type": "Processing",
            "Arguments": {
                "ProcessingResources": RESOURCES,
                "AppSpecification": {
                    "ImageUri": "local/ml:latest",
                    "ContainerEntrypoint": ["evaluate"],
                },
                "RoleArn": "arn:aws:iam::000000000000:role/local",
                "ProcessingInputs": [
                    _input("model", BEST_MODEL, "/opt/ml/processing/input/model"),
                    _input("test", _prep("test"), "/opt/ml/processing/input/test"),
                ],
                "ProcessingOutputConfig": {
                    "Outputs": [
                        {
                            "OutputName": "evaluation",
                            "S3Output": {
                                "S3Uri": {
                                    "Std:Join": {
                                        "On": "/",
                                        "Values": [
                                            BUCKET,
                                            "runs",
                                            get("Execution.PipelineExecutionId"),
                                            "evaluation",
                                        ],
                                    }
                                },
                                "LocalPath": "/opt/ml/processing/evaluation",
                                "S3UploadMode": "EndOfJob",
                            },
                        }
                    ]
                },
            },
            "PropertyFiles": [
                {
                    "PropertyFileName": "EvaluationReport",
                    "OutputName": "evaluation",
                    "FilePath": "evaluation.json",
                }
            ],
        },
        {
            "Name": "CheckAuc",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "GreaterThanOrEqualTo",
                        "LeftValue": {
                            "Std:JsonGet": {
                                "PropertyFile": get(
                                    "Steps.Evaluate.PropertyFiles.EvaluationReport"
                                ),
                                "Path": "metrics.auc.value",
                            }
                        },
                        "RightValue": get("Parameters.AucThreshold"),
                    }
                ],
                "IfSteps": [
                    {
                        "Name": "Register",
                        "Type": "RegisterModel",
                        "Arguments": {
                            "ModelPackageGroupName": "demo-breast-cancer",
                            "ModelApprovalStatus": get("Parameters.ModelApprovalStatus"),
                            "InferenceSpecification": {
                                "Containers": [
                                    {"Image": "local/ml:latest", "ModelDataUrl": BEST_MODEL}
                                ],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"],
                            },
                            "ModelMetrics": {
                                "ModelQuality": {
                                    "Statistics": {
                                        "ContentType": "application/json",
                                        "S3Uri": {
                                            "Std:Join": {
                                                "On": "/",
                                                "Values": [EVALUATION, "evaluation.json"],
                                            }
                                        },
                                    }
                                }
                            },
                            "CustomerMetadataProperties": {
                                "input_data": get("Parameters.InputData")
                            },
                        },
                    }
                ],
                "ElseSteps": [
                    {
                        "Name": "AucTooLow",
                        "Type": "Fail",
                        "Arguments": {"ErrorMessage": "AUC below threshold"},
                    }
                ],
            },
        },
    ],
    [
        {"Name": "InputData", "Type": "String", "DefaultValue": f"{BUCKET}/raw/data/"},
        {"Name": "SchemaUri", "Type": "String", "DefaultValue": f"{BUCKET}/raw/schema/"},
        {"Name": "AucThreshold", "Type": "Float", "DefaultValue": 0.8},
        {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
    ],
)


def test_demo_pipeline_runs_end_to_end_on_the_container_programs(tmp_path: Path):
    for program in ("preprocess", "train", "evaluate", "generate-data"):
        assert (BIN / program).is_file(), f"{program} is not installed in {BIN}"
    raw = tmp_path / "store" / "demo-bucket" / "raw"
    (raw / "data").mkdir(parents=True)
    (raw / "schema").mkdir()
    subprocess.run(
        [
            str(BIN / "generate-data"),
            "demo",
            "--out",
            str(raw / "data" / "data.csv"),
            "--schema-out",
            str(raw / "schema" / "schema.yaml"),
        ],
        check=True,
        capture_output=True,
    )
    registry = LocalModelRegistry(tmp_path / "registry.sqlite")
    registry.ensure_group("demo-breast-cancer")  # made before a run, as `pipeline upsert` does
    events = []
    runner = LocalRunner(
        tmp_path / "store", tmp_path / "state", registry, progress=events.append, cores=2
    )

    execution = runner.start(DEMO_PIPELINE, {}, "demo")

    assert execution.status == "Succeeded", execution.failure_reason
    assert [s.name for s in execution.steps] == [
        "Preprocess",
        "Tune",
        "Evaluate",
        "CheckAuc",
        "Register",
    ]
    tune = execution.step("Tune").properties
    assert tune["TrainingJobStatusCounters"]["Completed"] == 2
    best = tune["BestTrainingJob"]
    aucs = [
        s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        for s in tune["TrainingJobSummaries"]
    ]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == max(aucs) > 0.8
    [package] = registry.list_versions("demo-breast-cancer")
    assert package.model_data_url == (
        f"{BUCKET}/models/{best['TrainingJobName']}/output/model.tar.gz"
    )
    report_uri = execution.step("Evaluate").properties["ProcessingOutputConfig"]["Outputs"][0][
        "S3Output"
    ]["S3Uri"]
    report = json.loads((runner.store.path(report_uri) / "evaluation.json").read_text())
    assert package.metrics["auc"] == report["metrics"]["auc"]["value"] >= 0.8
    assert sum(e.kind == "trial_finished" for e in events) == 2

    again = runner.start(DEMO_PIPELINE, {}, "demo")
    assert again.status == "Succeeded", again.failure_reason
    assert again.step("Preprocess").cache_hit_source == execution.execution_id
    assert again.step("Tune").cache_hit_source == execution.execution_id
    assert len(registry.list_versions("demo-breast-cancer")) == 2
