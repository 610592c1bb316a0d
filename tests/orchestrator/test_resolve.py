"""Expression resolution, conditions, static checks, parameters and cache keys of the local
runner, on hand-written values shaped like real definitions (see
../shared/reference/sagemaker-pipeline-definitions)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from local_runner_support import definition, get, processing_step

from orchestrator.backends.local.cache import cache_key, parse_expire_after
from orchestrator.backends.local.conditions import evaluate, evaluate_all
from orchestrator.backends.local.errors import DefinitionError, ParameterError, StepFailed
from orchestrator.backends.local.graph import plan_steps
from orchestrator.backends.local.parameters import resolve_parameters
from orchestrator.backends.local.resolve import (
    ResolutionContext,
    ResolutionError,
    Resolver,
    parse_json_path,
)
from orchestrator.pipeline.expressions import Key, parse_property_path

PREPROCESS_PROPERTIES = {
    "ProcessingJobName": "pipelines-abc-Preprocess-1234",
    "ProcessingOutputConfig": {
        "Outputs": [
            {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/prep/train"}},
            {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/prep/test"}},
        ]
    },
}
TUNE_PROPERTIES = {
    "BestTrainingJob": {"TrainingJobName": "tune-002-aa"},
    "TrainingJobSummaries": [
        {"TrainingJobName": "tune-002-aa"},
        {"TrainingJobName": "tune-001-bb"},
    ],
}
EVALUATE_PROPERTIES = {
    "ProcessingOutputConfig": {
        "Outputs": [{"OutputName": "evaluation", "S3Output": {"S3Uri": "s3://b/eval/"}}]
    }
}
DOCUMENTS = {"s3://b/eval/evaluation.json": {"metrics": {"auc": {"value": 0.91}}, "list": [5, 7]}}


def resolver() -> Resolver:
    def read_json(uri: str):
        if uri not in DOCUMENTS:
            raise ValueError(f"no object at {uri}")
        return json.loads(json.dumps(DOCUMENTS[uri]))

    return Resolver(
        ResolutionContext(
            parameters={"InputData": "s3://b/raw/", "AucThreshold": 0.8},
            execution={
                "PipelineExecutionId": "exec123",
                "PipelineName": "demo",
                "StartDateTime": "2026-01-01T00:00:00+00:00",
            },
            properties={
                "Preprocess": PREPROCESS_PROPERTIES,
                "Tune": TUNE_PROPERTIES,
                "Evaluate": EVALUATE_PROPERTIES,
            },
            property_files={
                "Evaluate": [
                    {
                        "PropertyFileName": "EvaluationReport",
                        "OutputName": "evaluation",
                        "FilePath": "evaluation.json",
                    }
                ]
            },
            read_json=read_json,
        )
    )


def json_get(path: str, file: str = "EvaluationReport") -> dict:
    return {
        "Std:JsonGet": {"PropertyFile": get(f"Steps.Evaluate.PropertyFiles.{file}"), "Path": path}
    }


def test_property_paths_parse_names_indexes_and_quoted_keys():
    # Step property paths are parsed by the pipeline's one parser (the validator's too).
    assert parse_property_path("ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri") == [
        "ProcessingOutputConfig",
        "Outputs",
        Key("train"),
        "S3Output",
        "S3Uri",
    ]
    assert parse_property_path("TrainingJobSummaries[0].TrainingJobName") == [
        "TrainingJobSummaries",
        0,
        "TrainingJobName",
    ]
    with pytest.raises(ValueError):
        parse_property_path("Outputs[")


def test_json_get_paths_parse_names_indexes_and_quoted_keys():
    assert parse_json_path("ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri") == [
        "ProcessingOutputConfig",
        "Outputs",
        "train",
        "S3Output",
        "S3Uri",
    ]
    assert parse_json_path("list[1]") == ["list", 1]
    assert parse_json_path("$.metrics.auc.value") == ["metrics", "auc", "value"]
    with pytest.raises(ValueError):
        parse_json_path("Outputs[")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (get("Parameters.InputData"), "s3://b/raw/"),
        (get("Parameters.AucThreshold"), 0.8),
        (get("Execution.PipelineExecutionId"), "exec123"),
        (get("Execution.PipelineName"), "demo"),
        (get("Execution.StartDateTime"), "2026-01-01T00:00:00+00:00"),
        (
            get("Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"),
            "s3://b/prep/test",
        ),
        (get("Steps.Preprocess.ProcessingJobName"), "pipelines-abc-Preprocess-1234"),
        (get("Steps.Tune.TrainingJobSummaries[1].TrainingJobName"), "tune-001-bb"),
        (get("Steps.Tune.BestTrainingJob.TrainingJobName"), "tune-002-aa"),
        (
            {
                "Std:Join": {
                    "On": "/",
                    "Values": [
                        "s3:/",
                        "b",
                        "models",
                        get("Steps.Tune.TrainingJobSummaries[0].TrainingJobName"),
                        "output/model.tar.gz",
                    ],
                }
            },
            "s3://b/models/tune-002-aa/output/model.tar.gz",
        ),
        (
            {"Std:Join": {"On": "-", "Values": [get("Parameters.AucThreshold"), True, 3]}},
            "0.8-true-3",
        ),
        (json_get("metrics.auc.value"), 0.91),
        (json_get("list[1]"), 7),
        (
            {"Nested": [{"Deep": get("Parameters.InputData")}], "Plain": 3},
            {"Nested": [{"Deep": "s3://b/raw/"}], "Plain": 3},
        ),
    ],
)
def test_each_expression_kind_resolves(expression, expected):
    assert resolver().resolve(expression, "Consumer") == expected


def test_current_datetime_is_a_fresh_timestamp():
    value = resolver().resolve(get("Execution.CurrentDateTime"), "S")
    assert value.startswith("20") and "T" in value


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        (get("Parameters.Missing"), "no parameter 'Missing'"),
        (get("Steps.Nope.ProcessingJobName"), "step 'Nope' has not run"),
        (
            get("Steps.Preprocess.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri"),
            "no element named 'validation'",
        ),
        (get("Steps.Tune.TrainingJobSummaries[5].TrainingJobName"), "no element 5"),
        (get("Steps.Tune.BestTrainingJob.Nope"), "no attribute 'Nope'"),
        (get("Execution.Unknown"), "unknown execution variable"),
        (json_get("metrics.f1.value"), "has no value at 'metrics.f1.value'"),
        (json_get("metrics.auc.value", file="Other"), "declares no property file 'Other'"),
    ],
)
def test_unresolvable_reference_names_step_argument_and_reference(expression, fragment):
    with pytest.raises(ResolutionError) as caught:
        resolver().resolve({"ProcessingInputs": [{"S3Input": {"S3Uri": expression}}]}, "Evaluate")
    message = str(caught.value)
    assert "the definition can't be resolved" in message
    assert "step 'Evaluate'" in message
    assert "Arguments.ProcessingInputs[0].S3Input.S3Uri" in message
    assert fragment in message


def test_json_get_of_an_unreadable_file_is_a_resolution_error():
    context = resolver().context
    context.read_json = lambda uri: (_ for _ in ()).throw(ValueError("no object"))
    with pytest.raises(ResolutionError, match=re.escape("cannot read s3://b/eval/evaluation.json")):
        Resolver(context).resolve(json_get("metrics.auc.value"), "Check")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"Type": "GreaterThanOrEqualTo", "LeftValue": 0.8, "RightValue": 0.8}, True),
        ({"Type": "GreaterThan", "LeftValue": 0.8, "RightValue": 0.8}, False),
        ({"Type": "LessThan", "LeftValue": "0.5", "RightValue": 0.8}, True),
        ({"Type": "LessThanOrEqualTo", "LeftValue": 0.9, "RightValue": 0.8}, False),
        ({"Type": "Equals", "LeftValue": "a", "RightValue": "a"}, True),
        ({"Type": "Equals", "LeftValue": 1, "RightValue": "1.0"}, True),
        ({"Type": "In", "QueryValue": "b", "Values": ["a", "b"]}, True),
        ({"Type": "In", "QueryValue": 3, "Values": [1, 2]}, False),
        ({"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}, False),
        (
            {
                "Type": "Or",
                "Conditions": [
                    {"Type": "Equals", "LeftValue": 1, "RightValue": 2},
                    {"Type": "LessThan", "LeftValue": 1, "RightValue": 2},
                ],
            },
            True,
        ),
    ],
)
def test_condition_types(condition, expected):
    assert evaluate(condition) is expected


def test_conditions_of_a_step_are_anded():
    yes = {"Type": "Equals", "LeftValue": 1, "RightValue": 1}
    no = {"Type": "Equals", "LeftValue": 1, "RightValue": 2}
    assert evaluate_all([yes, yes]) is True
    assert evaluate_all([yes, no]) is False


def test_incomparable_condition_values_fail_with_both_values():
    with pytest.raises(StepFailed, match=re.escape("cannot compare 'abc' with 0.8")):
        evaluate({"Type": "GreaterThan", "LeftValue": "abc", "RightValue": 0.8})
    with pytest.raises(StepFailed, match="unknown condition type 'Between'"):
        evaluate({"Type": "Between"})


def _two_step_definition(**changes) -> dict:
    first = processing_step("A", "pass", outputs=[("out", "s3://b/a", "/opt/ml/processing/out")])
    second = processing_step(
        "B",
        "pass",
        inputs=[
            (
                "in",
                get("Steps.A.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri"),
                "/opt/ml/processing/in",
            )
        ],
    )
    document = definition([second, first], [{"Name": "P", "Type": "String", "DefaultValue": "x"}])
    document.update(changes)
    return document


def test_plan_orders_by_property_references_and_lifts_branch_steps():
    document = _two_step_definition()
    document["Steps"].append(
        {
            "Name": "Gate",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [],
                "IfSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "x"}}],
                "ElseSteps": [],
            },
            "DependsOn": ["B"],
        }
    )
    planned = plan_steps(document)
    assert [s.name for s in planned] == ["A", "B", "Gate", "Stop"]
    assert planned[1].depends_on == ("A",)
    assert planned[3].gate is not None and planned[3].gate.condition == "Gate"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update(Version="2019-01-01"), "Version '2019-01-01'"),
        (lambda d: d["Steps"][0].update(Type="EMR"), "type 'EMR'"),
        (lambda d: d["Steps"][1].update(Name="B"), "repeated: B"),
        (lambda d: d["Steps"][0].update(DependsOn=["Ghost"]), "unknown step 'Ghost'"),
        (
            lambda d: d["Steps"][0]["Arguments"].update(Environment={"X": get("Parameters.Q")}),
            "reads parameter 'Q'",
        ),
        (
            lambda d: d["Steps"][0]["Arguments"].update(Environment={"X": get("Steps.Ghost.X")}),
            "there is no step 'Ghost'",
        ),
        (lambda d: d["Steps"][1].update(DependsOn=["B"]), "cycle"),
    ],
)
def test_plan_rejects_bad_definitions_before_running(mutate, fragment):
    document = _two_step_definition()
    mutate(document)
    with pytest.raises(DefinitionError, match=fragment.replace("(", r"\(")):
        plan_steps(document)


def test_parameters_merge_defaults_and_coerce_types():
    document = definition(
        [],
        [
            {"Name": "S", "Type": "String", "DefaultValue": "a"},
            {"Name": "I", "Type": "Integer", "DefaultValue": 2},
            {"Name": "F", "Type": "Float", "DefaultValue": 0.5},
            {"Name": "B", "Type": "Boolean", "DefaultValue": False},
        ],
    )
    assert resolve_parameters(document, {"I": "7", "B": "true"}) == {
        "S": "a",
        "I": 7,
        "F": 0.5,
        "B": True,
    }
    with pytest.raises(ParameterError, match="unknown pipeline parameter"):
        resolve_parameters(document, {"Nope": 1})
    with pytest.raises(ParameterError, match="declared Float"):
        resolve_parameters(document, {"F": "high"})


def test_cache_key_uses_documented_attributes_only():
    base = {
        "AppSpecification": {"ImageUri": "i"},
        "ProcessingInputs": [{"S3Uri": "s3://b/x"}],
        "ProcessingOutputConfig": {"Outputs": [{"S3Uri": "s3://b/run-1"}]},
    }
    moved_output = {**base, "ProcessingOutputConfig": {"Outputs": [{"S3Uri": "s3://b/run-2"}]}}
    new_input = {**base, "ProcessingInputs": [{"S3Uri": "s3://b/y"}]}
    assert cache_key("Processing", base) == cache_key("Processing", moved_output)
    assert cache_key("Processing", base) != cache_key("Processing", new_input)


def test_expire_after_parses_iso_durations_and_rejects_garbage():
    assert parse_expire_after("P30D", "s") == timedelta(days=30)
    assert parse_expire_after("PT1H30M", "s") == timedelta(hours=1, minutes=30)
    assert parse_expire_after("30d", "s") == timedelta(days=30)
    assert parse_expire_after(None, "s") is None
    with pytest.raises(DefinitionError, match="not an ISO 8601 duration"):
        parse_expire_after("soon", "s")
