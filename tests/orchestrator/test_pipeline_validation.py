"""Validation of definitions: botocore's model of each step's API, and the structure checks.

Each negative case breaks one thing in a freshly built definition and checks that the error
names the step and the argument path; the positive cases include the SDK's own definitions.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ml_containers.schema import parse_schema

from orchestrator.pipeline import DefinitionError, PipelineConfig, validate_definition
from orchestrator.pipeline.definition import build_document
from orchestrator.pipeline.service_model import PropertyPathError, property_shape
from orchestrator.settings.stack_outputs import StackOutputs


def config() -> PipelineConfig:
    schema = parse_schema(
        {
            "name": "churn",
            "problem_type": "binary_classification",
            "target": {"name": "churned", "classes": ["no", "yes"]},
            "features": [{"name": "tenure", "type": "integer"}],
        }
    )
    return PipelineConfig(
        dataset=schema,
        input_data_uri="s3://churn-dev-data/raw/",
        schema_uri="s3://churn-dev-data/schema/schema.yaml",
        code_version="abc123",
    )


def outputs() -> StackOutputs:
    return StackOutputs.local().model_copy(
        update={"private_subnet_ids": ["subnet-0a"], "sagemaker_security_group_ids": ["sg-0a"]}
    )


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(_BUILT)


_BUILT = build_document(config(), outputs())


def step(document: dict[str, Any], name: str) -> dict[str, Any]:
    for top in document["Steps"]:
        if top["Name"] == name:
            return top
        for side in ("IfSteps", "ElseSteps"):
            for nested in top.get("Arguments", {}).get(side, []):
                if nested["Name"] == name:
                    return nested
    raise KeyError(name)


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    assert str(caught.value).count(";") >= len(caught.value.problems) - 1
    return caught.value.problems


def only_problem(document: dict[str, Any]) -> str:
    problems = problems_of(document)
    assert len(problems) == 1, problems
    return problems[0]


# -- positive ------------------------------------------------------------------------------------


def test_built_definition_is_valid(document) -> None:
    validate_definition(document)


def test_sdk_generated_definitions_are_valid(reference_path: Path) -> None:
    """No false alarms: what the official SDK writes passes both validators (once per reference
    definition: tests/conftest.py parametrizes ``reference_path``)."""
    validate_definition(json.loads(reference_path.read_text()))


# -- botocore: the three classic mistakes --------------------------------------------------------


def test_typo_in_a_key_is_caught(document) -> None:
    cluster = step(document, "Preprocess")["Arguments"]["ProcessingResources"]["ClusterConfig"]
    cluster["VolumeSizeInGb"] = cluster.pop("VolumeSizeInGB")
    problems = problems_of(document)
    assert any(
        p.startswith("step 'Preprocess' (CreateProcessingJob)")
        and 'Unknown parameter in ProcessingResources.ClusterConfig: "VolumeSizeInGb"' in p
        for p in problems
    ), problems
    # Renaming also removed a required member; both are reported in one go.
    assert any('"VolumeSizeInGB"' in p and "Missing required" in p for p in problems), problems


def test_wrong_type_is_caught(document) -> None:
    job = step(document, "Tune")["Arguments"]["TrainingJobDefinition"]
    job["StoppingCondition"]["MaxRuntimeInSeconds"] = "3600"
    problem = only_problem(document)
    assert problem.startswith("step 'Tune' (CreateHyperParameterTuningJob)")
    assert "TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds" in problem
    assert "Invalid type" in problem


def test_missing_required_field_is_caught(document) -> None:
    del step(document, "Register")["Arguments"]["InferenceSpecification"]["Containers"]
    problem = only_problem(document)
    assert problem.startswith("step 'Register' (CreateModelPackage)")
    assert 'Missing required parameter in InferenceSpecification: "Containers"' in problem


def test_missing_role_in_a_nested_tuning_definition_is_caught(document) -> None:
    del step(document, "Tune")["Arguments"]["TrainingJobDefinition"]["RoleArn"]
    assert 'TrainingJobDefinition: "RoleArn"' in only_problem(document)


def test_enum_value_is_checked(document) -> None:
    step(document, "Tune")["Arguments"]["HyperParameterTuningJobConfig"]["Strategy"] = "Bayes"
    problem = only_problem(document)
    assert "Arguments.HyperParameterTuningJobConfig.Strategy" in problem
    assert "'Bayes' is not one of" in problem


def test_job_name_belongs_to_sagemaker(document) -> None:
    step(document, "Evaluate")["Arguments"]["ProcessingJobName"] = "my-job"
    assert "ProcessingJobName is set by SageMaker" in only_problem(document)


# -- expressions stand for values of the field's type --------------------------------------------


def test_parameter_type_must_fit_the_field(document) -> None:
    for parameter in document["Parameters"]:
        if parameter["Name"] == "ProcessingInstanceCount":
            parameter.update(Type="String", DefaultValue="1")
    problems = problems_of(document)
    assert len(problems) == 2  # used by both processing steps
    assert all(
        "Get Parameters.ProcessingInstanceCount yields a string, but the field takes an integer"
        in p
        for p in problems
    )


def test_parameter_default_is_checked_against_the_field(document) -> None:
    for parameter in document["Parameters"]:
        if parameter["Name"] == "TrainingInstanceType":
            parameter["DefaultValue"] = "ml.m5.larg"
    problem = only_problem(document)
    assert "step 'Tune'" in problem and "'ml.m5.larg'" in problem


def test_join_cannot_stand_for_a_number(document) -> None:
    limits = step(document, "Tune")["Arguments"]["HyperParameterTuningJobConfig"]["ResourceLimits"]
    limits["MaxNumberOfTrainingJobs"] = {"Std:Join": {"On": "", "Values": ["4"]}}
    assert "Std:Join yields a string, but the field takes an integer" in only_problem(document)


def test_step_property_type_must_fit_the_field(document) -> None:
    limits = step(document, "Tune")["Arguments"]["HyperParameterTuningJobConfig"]["ResourceLimits"]
    limits["MaxParallelTrainingJobs"] = {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    assert "yields a string, but the field takes an integer" in only_problem(document)


# -- structure -----------------------------------------------------------------------------------


def test_duplicate_step_names(document) -> None:
    step(document, "QualityGateFailed")["Name"] = "Register"
    assert "step name 'Register' is already used" in only_problem(document)


def test_reference_to_a_missing_step(document) -> None:
    test_input = step(document, "Evaluate")["Arguments"]["ProcessingInputs"][1]
    test_input["S3Input"]["S3Uri"]["Get"] = test_input["S3Input"]["S3Uri"]["Get"].replace(
        "Preprocess", "Prepare"
    )
    assert "refers to step 'Prepare', which does not exist" in only_problem(document)


def test_reference_to_a_step_that_runs_later_is_a_cycle(document) -> None:
    data = step(document, "Preprocess")["Arguments"]["ProcessingInputs"][0]["S3Input"]
    data["S3Uri"] = {
        "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
    }
    problems = problems_of(document)
    assert "cycle: Preprocess needs Evaluate needs Preprocess" in problems[0]
    assert all("cycle" in p for p in problems)  # Preprocess -> Evaluate -> Tune -> ... too


def test_self_reference(document) -> None:
    data = step(document, "Preprocess")["Arguments"]["ProcessingInputs"][0]["S3Input"]
    data["S3Uri"] = {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    assert "cannot refer to its own properties" in only_problem(document)


def test_undeclared_parameter_and_unknown_execution_variable(document) -> None:
    preprocess = step(document, "Preprocess")["Arguments"]
    preprocess["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Parameters.InputDataUri"}
    preprocess["AppSpecification"]["ContainerArguments"][1] = {"Get": "Execution.RunId"}
    problems = problems_of(document)
    assert len(problems) == 2
    assert any("parameter 'InputDataUri' is not declared" in p for p in problems)
    assert any("'RunId' is not an execution variable" in p for p in problems)


def test_unknown_processing_output_name(document) -> None:
    channel = step(document, "Tune")["Arguments"]["TrainingJobDefinition"]["InputDataConfig"][0]
    channel["DataSource"]["S3DataSource"]["S3Uri"] = {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['training'].S3Output.S3Uri"
    }
    assert "has no output named 'training'" in only_problem(document)


def test_unknown_property_path(document) -> None:
    model = step(document, "Evaluate")["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"]
    model["Std:Join"]["Values"][5] = {"Get": "Steps.Tune.TrainingJobSummaries[0].JobName"}
    problem = only_problem(document)
    assert "Steps.Tune.TrainingJobSummaries[0].JobName is not a step property" in problem
    assert "TrainingJobName" in problem  # the members it could have meant


def test_unknown_property_file(document) -> None:
    condition = step(document, "QualityGate")["Arguments"]["Conditions"][0]
    condition["LeftValue"]["Std:JsonGet"]["PropertyFile"]["Get"] = (
        "Steps.Evaluate.PropertyFiles.Evaluation"
    )
    problems = problems_of(document)
    assert all("declares no property file 'Evaluation'" in p for p in problems)


def test_property_file_must_name_an_output(document) -> None:
    step(document, "Evaluate")["PropertyFiles"][0]["OutputName"] = "metrics"
    assert "reads output 'metrics'" in only_problem(document)


def test_depends_on_and_branch_names_must_exist(document) -> None:
    step(document, "Tune")["DependsOn"] = ["Preprocess", "Clean"]
    step(document, "QualityGate")["Arguments"]["ElseSteps"].append("Notify")
    problems = problems_of(document)
    assert any("DependsOn names 'Clean'" in p for p in problems)
    assert any("ElseSteps[1] names 'Notify'" in p for p in problems)


def test_step_cannot_read_the_other_branch(document) -> None:
    fail = step(document, "QualityGateFailed")
    fail["Arguments"]["ErrorMessage"] = {"Get": "Steps.Register.ModelPackageArn"}
    assert "in the other branch (IfSteps) of 'QualityGate'" in only_problem(document)


def test_unknown_step_and_condition_types(document) -> None:
    step(document, "QualityGate")["Arguments"]["Conditions"][0]["Type"] = "AtLeast"
    step(document, "QualityGateFailed")["Type"] = "Abort"
    problems = problems_of(document)
    assert any("'AtLeast' is not one of" in p for p in problems)
    assert any("unknown Type 'Abort'" in p for p in problems)


def test_wrong_version_and_bad_cache_config(document) -> None:
    document["Version"] = "2021-01-01"
    step(document, "Tune")["CacheConfig"]["ExpireAfter"] = "30 days"
    problems = problems_of(document)
    assert any("SageMaker expects '2020-12-01'" in p for p in problems)
    assert any("ExpireAfter is not an ISO 8601 duration" in p for p in problems)


def test_malformed_documents_are_refused_with_a_reason() -> None:
    assert "JSON object" in only_problem([])
    assert "non-empty list" in only_problem({"Version": "2020-12-01", "Steps": []})
    problem = only_problem({"Version": "2020-12-01", "Parameters": [], "Steps": ["Preprocess"]})
    assert "Steps[0] must be a step object" in problem


def test_every_problem_is_reported_at_once(document) -> None:
    step(document, "Preprocess")["Arguments"]["RoleArn"] = 42
    step(document, "Tune")["Arguments"]["HyperParameterTuningJobConfig"]["Strategy"] = "Bayes"
    del step(document, "Register")["Arguments"]["InferenceSpecification"]["Containers"]
    problems = problems_of(document)
    assert {p.split(" (")[0] for p in problems} == {
        "step 'Preprocess'",
        "step 'Tune'",
        "step 'Register'",
    }


# -- property paths against the Describe* responses ----------------------------------------------


def test_property_paths_resolve_to_response_shapes() -> None:
    path = "ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    assert property_shape("Processing", path).type_name == "string"
    assert property_shape("Tuning", "TrainingJobSummaries[0].TrainingJobName").type_name == (
        "string"
    )
    assert property_shape("Tuning", "BestTrainingJob.TrainingJobName").type_name == "string"
    assert property_shape("RegisterModel", "ModelPackageArn").type_name == "string"
    assert property_shape("Condition", "Outcome") is None
    for step_type, bad in [
        ("Processing", "ProcessingOutputConfig.Outputs.test"),
        ("Processing", "ProcessingJobName[0]"),
        ("Tuning", "TrainingJobSummaries[0]..TrainingJobName"),
        ("Fail", "ErrorMessage"),
    ]:
        with pytest.raises(PropertyPathError):
            property_shape(step_type, bad)
