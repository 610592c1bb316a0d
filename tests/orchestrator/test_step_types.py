"""The step-type registry is the one place a step type is known: the validator, property paths
and the local runner all read it, and an unknown or unexecutable type is refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.backends.local import steps as local_steps
from orchestrator.backends.local.errors import DefinitionError as LocalDefinitionError
from orchestrator.backends.local.graph import plan_steps
from orchestrator.pipeline import step_types
from orchestrator.pipeline.service_model import PropertyPathError, property_shape
from orchestrator.pipeline.step_types import StepApi, StepType
from orchestrator.pipeline.structure import validate_structure


def _document(step: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2020-12-01", "Parameters": [], "Steps": [step]}


@pytest.fixture
def lambda_type() -> Iterator[StepType]:
    """A step type registered by a test, as a new module would register one."""
    added = step_types.register(StepType("Lambda", fixed_properties=("OutputParameters",)))
    yield added
    step_types._REGISTRY.pop("Lambda")


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
    problems = validate_structure(_document({"Name": "S", "Type": "Lambda", "Arguments": {}}))
    assert not any("unknown Type" in p for p in problems)
    assert property_shape("Lambda", "OutputParameters") is None
    with pytest.raises(PropertyPathError, match="only the properties"):
        property_shape("Lambda", "Nope")


def test_the_local_runner_refuses_a_type_without_an_executor(lambda_type: StepType) -> None:
    document = _document({"Name": "S", "Type": "Lambda", "Arguments": {}})
    with pytest.raises(LocalDefinitionError, match="a SageMaker step type with no local executor"):
        plan_steps(document)
    with pytest.raises(LocalDefinitionError, match="no SageMaker step type"):
        plan_steps(_document({"Name": "S", "Type": "Lamda", "Arguments": {}}))


def test_every_local_executor_is_a_registered_type() -> None:
    assert set(local_steps.STEP_TABLE) <= set(step_types.names())
    with pytest.raises(ValueError, match="not a registered pipeline step type"):
        local_steps.register_executor("Lamda", local_steps.fail_step)
