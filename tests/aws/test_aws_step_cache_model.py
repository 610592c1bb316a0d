"""The moto model of SageMaker's step caching (``moto_extensions/step_cache.py``), on a small
hand-written definition: what makes a step a cache hit, which earlier execution a hit names, and
what never matches. The orchestrator-level scenarios are in
``tests/orchestrator/test_cli_step_cache_aws.py``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from moto_extensions import ACCOUNT, ExecutionState, backend, script_execution, step
from moto_extensions.step_cache import stamp

from orchestrator.backends.aws.clients import AwsClients

PIPELINE = "cache-model"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline"


def _processing(name: str, environment: dict[str, Any], cache: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {"ImageUri": "image@sha256:" + "ab" * 32},
            "Environment": environment,
            "ProcessingInputs": [],
            # Not a cache-key attribute: an output under the execution id still hits.
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "out",
                        "S3Output": {
                            "S3Uri": {
                                "Std:Join": {
                                    "On": "/",
                                    "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}],
                                }
                            }
                        },
                    }
                ]
            },
        },
        "CacheConfig": cache,
    }


CACHED = {"Enabled": True, "ExpireAfter": "P1D"}


def _definition(cache: dict[str, Any] = CACHED) -> str:
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [{"Name": "Version", "Type": "String", "DefaultValue": "v1"}],
            "Steps": [
                _processing("Prepare", {"VERSION": {"Get": "Parameters.Version"}}, cache),
                _processing(
                    "Stamp",
                    {"RUN": {"Get": "Execution.PipelineExecutionId"}, "PIPE": "x"},
                    cache,
                ),
                _processing(
                    "Named", {"PIPELINE": {"Get": "Execution.PipelineName"}}, {"Enabled": False}
                ),
            ],
        }
    )


def _create(aws: AwsClients, definition: str) -> None:
    aws.sagemaker.create_pipeline(
        PipelineName=PIPELINE, PipelineDefinition=definition, RoleArn=ROLE
    )


def _start(aws: AwsClients, version: str = "v1") -> str:
    started = aws.sagemaker.start_pipeline_execution(
        PipelineName=PIPELINE,
        PipelineParameters=[{"Name": "Version", "Value": version}],
    )
    return str(started["PipelineExecutionArn"])


def _sources(aws: AwsClients, arn: str) -> dict[str, str]:
    """Step name -> CacheHitResult.SourcePipelineExecutionArn, for the steps that hit."""
    listed = aws.sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)
    return {
        s["StepName"]: s["CacheHitResult"]["SourcePipelineExecutionArn"]
        for s in listed["PipelineExecutionSteps"]
        if "CacheHitResult" in s
    }


def test_a_step_with_the_same_parameter_values_hits_and_a_changed_parameter_misses(
    aws: AwsClients,
) -> None:
    _create(aws, _definition())
    first = _start(aws)
    assert _sources(aws, first) == {}
    assert _sources(aws, _start(aws)) == {"Prepare": first}
    assert _sources(aws, _start(aws, "v2")) == {}


def test_an_execution_variable_that_differs_per_execution_in_the_key_never_hits(
    aws: AwsClients,
) -> None:
    _create(aws, _definition())
    _start(aws)
    # Stamp's Environment holds the execution id; Named's caching is off.
    assert "Stamp" not in _sources(aws, _start(aws))


def test_the_most_recent_successful_run_is_reused(aws: AwsClients) -> None:
    _create(aws, _definition({"Enabled": False}))
    first = _start(aws)
    second = _start(aws)  # caching off: both ran Prepare with the same key
    aws.sagemaker.update_pipeline(PipelineName=PIPELINE, PipelineDefinition=_definition())
    assert _sources(aws, first) == _sources(aws, second) == {}
    assert _sources(aws, _start(aws))["Prepare"] == second


def test_a_hit_from_a_hit_names_the_execution_that_ran_the_job(aws: AwsClients) -> None:
    _create(aws, _definition())
    first = _start(aws)
    second = _start(aws)
    assert _sources(aws, second) == {"Prepare": first}
    assert _sources(aws, _start(aws)) == {"Prepare": first}


def test_a_failed_run_is_not_reused(aws: AwsClients) -> None:
    _create(aws, _definition())
    failed = _start(aws)
    script_execution(failed, [ExecutionState("Failed", [step("Prepare", "Failed", "boom")])])
    assert _sources(aws, _start(aws)) == {}


def test_a_run_older_than_expire_after_is_not_reused_and_without_it_never_expires(
    aws: AwsClients,
) -> None:
    _create(aws, _definition())
    first = _start(aws)
    execution = backend().pipelines[PIPELINE].pipeline_executions[first]
    stamp(execution.creation_time - timedelta(days=2), execution)  # P1D
    assert _sources(aws, _start(aws)) == {}

    aws.sagemaker.delete_pipeline(PipelineName=PIPELINE, ClientRequestToken="x" * 32)
    _create(aws, _definition({"Enabled": True}))
    old = _start(aws)
    execution = backend().pipelines[PIPELINE].pipeline_executions[old]
    stamp(execution.creation_time - timedelta(days=3650), execution)
    assert _sources(aws, _start(aws)) == {"Prepare": old}
