"""The PipelineRunner protocol, the same tests on the local runner and on SageMaker (moto).

The definition is small and real: a Float parameter, a Condition on it and a Fail step in its
ElseSteps, which the local runner executes without containers. moto runs no step (its executions
succeed at once), so these tests assert only what both backends really do.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orchestrator.backends.base import PipelineRunner, UnknownExecution
from orchestrator.pipeline import PipelineDefinition

DOCUMENT: dict[str, Any] = {
    "Version": "2020-12-01",
    "Parameters": [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}],
    "Steps": [
        {
            "Name": "Gate",
            "Type": "Condition",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "GreaterThanOrEqualTo",
                        "LeftValue": {"Get": "Parameters.Threshold"},
                        "RightValue": 0.0,
                    }
                ],
                "IfSteps": [],
                "ElseSteps": [
                    {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "below zero"}}
                ],
            },
        }
    ],
}


def _definition(case: Any, document: dict[str, Any] = DOCUMENT) -> PipelineDefinition:
    return PipelineDefinition(document=document, pipeline_name=case.backend.outputs.pipeline_name)


def _upsert(runner: PipelineRunner, definition: PipelineDefinition) -> str:
    return runner.upsert(definition, description="conformance", tags={"project": "mlops"}).action


def test_upsert_creates_then_leaves_then_updates_with_a_diff(case: Any) -> None:
    runner: PipelineRunner = case.backend.pipelines
    assert _upsert(runner, _definition(case)) == "created"
    assert _upsert(runner, _definition(case)) == "unchanged"
    changed = copy.deepcopy(DOCUMENT)
    changed["Parameters"][0]["DefaultValue"] = 0.75
    result = runner.upsert(_definition(case, changed), description="conformance", tags={})
    assert result.action == "updated"
    assert "0.75" in result.diff and "0.5" in result.diff


def test_a_pipeline_that_does_not_exist_cannot_start(case: Any) -> None:
    with pytest.raises(Exception, match=r"(?i)does not exist|not found|could not find"):
        case.backend.pipelines.start("no-such-pipeline", {})


def test_an_unknown_parameter_is_refused_before_anything_starts(case: Any) -> None:
    runner: PipelineRunner = case.backend.pipelines
    name = case.backend.outputs.pipeline_name
    _upsert(runner, _definition(case))
    with pytest.raises(Exception, match="Nope"):
        runner.start(name, {"Nope": 1})
    assert runner.list_executions(name) == []


def test_an_execution_succeeds_and_lists_its_steps(case: Any) -> None:
    runner: PipelineRunner = case.backend.pipelines
    name = case.backend.outputs.pipeline_name
    _upsert(runner, _definition(case))
    execution_id = runner.start(name, {"Threshold": 1.0})
    from orchestrator.backends.polling import PollSettings

    final = runner.wait(execution_id, PollSettings(timeout_seconds=30, interval_seconds=0.01))
    assert final.id == execution_id and final.status == "Succeeded"
    assert "Gate" in [s.name for s in final.steps]
    assert runner.describe(execution_id).status == "Succeeded"


def test_executions_are_listed_newest_first(case: Any) -> None:
    runner: PipelineRunner = case.backend.pipelines
    name = case.backend.outputs.pipeline_name
    _upsert(runner, _definition(case))
    first = runner.start(name, {"Threshold": 1.0})
    second = runner.start(name, {"Threshold": 2.0})
    assert [e.id for e in runner.list_executions(name)][:2] == [second, first]


def test_an_unknown_execution_is_unknown(case: Any) -> None:
    runner: PipelineRunner = case.backend.pipelines
    _upsert(runner, _definition(case))
    known = runner.start(case.backend.outputs.pipeline_name, {"Threshold": 1.0})
    unknown = known[:-4] + ("zzzz" if not known.endswith("zzzz") else "yyyy")
    with pytest.raises(UnknownExecution):
        runner.describe(unknown)
