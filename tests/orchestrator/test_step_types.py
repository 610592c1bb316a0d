"""The step-type registry is the one place a step type is known: the validator, property paths,
the step graph and the local runner all read it, and an unknown or unexecutable type is refused
by name. A type registered by a test (as a new module would register one) is picked up by all of
them without editing any other module."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from local_runner_support import definition, get, processing_step

from orchestrator.backends.local import steps as local_steps
from orchestrator.backends.local.errors import DefinitionError as LocalDefinitionError
from orchestrator.backends.local.executors import executor_for, executor_types
from orchestrator.backends.local.graph import Gate, plan_steps
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.runner import LocalRunner
from orchestrator.backends.local.steps import StepContext, StepExecutor, register_executor
from orchestrator.pipeline import step_types
from orchestrator.pipeline.service_model import PropertyPathError, property_shape
from orchestrator.pipeline.step_graph import flatten_steps
from orchestrator.pipeline.step_types import StepApi, StepCheck, StepType, registry
from orchestrator.pipeline.structure import validate_structure

LOCAL_TYPES = {"Processing", "Training", "Tuning", "Condition", "Fail", "RegisterModel"}


def _document(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2020-12-01", "Parameters": [], "Steps": list(steps)}


def _lambda_check(step: StepCheck) -> list[str]:
    if isinstance(step.arguments.get("FunctionArn"), str):
        return []
    return [f"{step.where}: a Lambda step needs a FunctionArn"]


@pytest.fixture
def lambda_type(monkeypatch: pytest.MonkeyPatch) -> Iterator[StepType]:
    """A step type registered by a test, as a new module would register one: properties without
    an API, a branch of nested steps and its own argument check."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(local_steps, "_EXECUTORS", dict(local_steps._EXECUTORS))
    yield step_types.register(
        StepType(
            "Lambda",
            branches=("OnSuccess",),
            fixed_properties=("OutputParameters",),
            check=_lambda_check,
        )
    )


def _lambda_step(name: str = "Call", **arguments: Any) -> dict[str, Any]:
    return {"Name": name, "Type": "Lambda", "Arguments": {"FunctionArn": "arn:fn", **arguments}}


def test_every_sagemaker_type_the_builder_uses_is_registered() -> None:
    assert set(step_types.names()) >= {
        "Processing", "Training", "Tuning", "Transform", "RegisterModel", "Condition", "Fail"
    }  # fmt: skip


def test_a_type_registered_twice_differently_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        step_types.register(StepType("Fail", StepApi("X", (), ())))


def test_an_unknown_type_is_named_by_the_validator() -> None:
    problems = validate_structure(_document({"Name": "S", "Type": "Lambda", "Arguments": {}}))
    assert any("unknown Type 'Lambda'" in p for p in problems)


def test_a_registered_type_is_known_to_validator_and_property_paths(
    lambda_type: StepType,
) -> None:
    reader = processing_step("Read", "pass", environment={"X": get("Steps.Call.OutputParameters")})
    assert validate_structure(_document(_lambda_step(), reader)) == []
    assert property_shape("Lambda", "OutputParameters") is None
    with pytest.raises(PropertyPathError, match="only the properties"):
        property_shape("Lambda", "Nope")
    reader["Arguments"]["Environment"]["X"] = get("Steps.Call.Nope")
    (problem,) = validate_structure(_document(_lambda_step(), reader))
    assert "Steps.Call.Nope is not a step property" in problem


def test_a_registered_types_own_check_runs_in_the_validator(lambda_type: StepType) -> None:
    step = {"Name": "Call", "Type": "Lambda", "Arguments": {}}
    assert validate_structure(_document(step)) == ["step 'Call': a Lambda step needs a FunctionArn"]


def test_a_registered_types_branches_are_steps_of_the_graph(lambda_type: StepType) -> None:
    nested = processing_step("After", "pass", environment={"X": get("Steps.Call.OutputParameters")})
    document = _document(_lambda_step(OnSuccess=[nested]))
    (call, after) = flatten_steps(document)
    assert after.branches == (("Call", "OnSuccess"),)
    assert after.upstream() == {"Call"}
    assert call.references == ()  # the nested step's reference is its own, not the Lambda's
    assert validate_structure(document) == []


def test_the_local_runner_refuses_a_type_without_an_executor(lambda_type: StepType) -> None:
    with pytest.raises(LocalDefinitionError, match="a SageMaker step type with no local executor"):
        plan_steps(_document(_lambda_step()))
    with pytest.raises(LocalDefinitionError, match="'Lamda' \\(no SageMaker step type\\)"):
        plan_steps(_document({"Name": "S", "Type": "Lamda", "Arguments": {}}))


@pytest.mark.parametrize("step_type", ["Transform", "Lamda"])
def test_the_local_runner_names_an_unrunnable_type_before_anything_runs(
    tmp_path: Path, step_type: str
) -> None:
    runner = LocalRunner(tmp_path / "store", tmp_path / "state")
    with pytest.raises(LocalDefinitionError, match=f"step 'S' has type '{step_type}'"):
        runner.start(_document({"Name": "S", "Type": step_type, "Arguments": {}}), {}, "p")
    assert runner.list_executions() == []


def test_every_type_the_local_runner_accepts_has_an_executor() -> None:
    assert set(executor_types()) == LOCAL_TYPES == set(local_steps.registered_executors())
    for step_type in step_types.names():
        document = _document({"Name": "S", "Type": step_type, "Arguments": {}})
        if step_type in LOCAL_TYPES:
            assert executor_for(step_type, "S") is local_steps.registered_executors()[step_type]
            assert [s.type for s in plan_steps(document)] == [step_type]
        else:
            with pytest.raises(LocalDefinitionError, match=f"type '{step_type}'"):
                plan_steps(document)


def test_an_executor_needs_a_registered_type_and_registers_once() -> None:
    executor = local_steps.registered_executors()["Fail"]
    with pytest.raises(ValueError, match="not a registered pipeline step type"):
        register_executor("Lamda", executor)
    with pytest.raises(ValueError, match="registered twice"):
        register_executor("Fail", executor)


def test_a_registered_type_and_executor_run_locally_branches_included(
    lambda_type: StepType, tmp_path: Path
) -> None:
    def call(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
        return StepOutcome({"OutputParameters": [{"Name": "ok", "Value": arguments["Value"]}]})

    def branch(properties: Mapping[str, Any]) -> str:
        return "OnSuccess"

    register_executor("Lambda", StepExecutor(call, taken_branch=branch))
    nested = {
        "Name": "Stop",
        "Type": "Fail",
        "Arguments": {"ErrorMessage": get("Steps.Call.OutputParameters['ok'].Value")},
    }
    document = definition(
        [_lambda_step(Value=get("Parameters.V"), OnSuccess=[nested])],
        [{"Name": "V", "Type": "String", "DefaultValue": "reached"}],
    )
    assert [(s.name, s.gate) for s in plan_steps(document)] == [
        ("Call", None),
        ("Stop", Gate("Call", "OnSuccess")),
    ]
    execution = LocalRunner(tmp_path / "store", tmp_path / "state").start(document, {}, "p")
    assert [(s.name, s.status) for s in execution.steps] == [
        ("Call", "Succeeded"),
        ("Stop", "Failed"),
    ]
    assert execution.failure_reason == "reached"
