"""The PipelineRunner protocol, the same tests on the local runner and on SageMaker (moto).

The definition is small and real, built as ``orchestrator.pipeline`` builds one and validated
the same way: a Float parameter, a Condition step comparing it and a Fail step in its ElseSteps,
which the local runner executes without containers. moto runs no step (its executions succeed
at once), so the execution tests start one that succeeds on SageMaker too (the Condition holds),
and assert only what both backends really do.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conformance_kit import USER_ERRORS

from orchestrator.backends.base import Backend, PipelineRunner, UnknownExecution
from orchestrator.backends.polling import PollSettings
from orchestrator.pipeline import Parameter, PipelineDefinition, names, validate_definition
from orchestrator.pipeline import expressions as ex

FAST = PollSettings(timeout_seconds=30, interval_seconds=0.01)
HOLDS = {"Threshold": 1.0}  # the Condition holds: the execution succeeds on SageMaker too


def _definition(backend: Backend, threshold_default: float = 0.5) -> PipelineDefinition:
    gate = {
        "Name": "Gate",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "GreaterThanOrEqualTo",
                    "LeftValue": ex.parameter("Threshold"),
                    "RightValue": 0.0,
                }
            ],
            "IfSteps": [],
            "ElseSteps": [
                {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "below zero"}}
            ],
        },
    }
    document: dict[str, Any] = {
        "Version": names.DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [Parameter("Threshold", "Float", threshold_default).to_json()],
        "Steps": [gate],
    }
    validate_definition(document)
    return PipelineDefinition(document=document, pipeline_name=backend.outputs.pipeline_name)


def _created(backend: Backend) -> str:
    """The pipeline, upserted; its name."""
    backend.pipelines.upsert(_definition(backend), description="conformance", tags={})
    return backend.outputs.pipeline_name


def test_upsert_creates_then_leaves_then_updates_with_a_diff(backend: Backend) -> None:
    runner: PipelineRunner = backend.pipelines
    tags = {"project": "mlops"}
    first = runner.upsert(_definition(backend), description="conformance", tags=tags)
    assert (first.action, first.pipeline_name) == ("created", backend.outputs.pipeline_name)
    again = runner.upsert(_definition(backend), description="conformance", tags=tags)
    assert (again.action, again.diff) == ("unchanged", "")
    changed = runner.upsert(_definition(backend, 0.75), description="conformance", tags=tags)
    assert changed.action == "updated"
    assert re.search(r'^-\s*"DefaultValue": 0\.5,?$', changed.diff, re.MULTILINE)
    assert re.search(r'^\+\s*"DefaultValue": 0\.75,?$', changed.diff, re.MULTILINE)
    assert changed.pipeline_arn == first.pipeline_arn


def test_a_pipeline_that_does_not_exist_cannot_start(backend: Backend) -> None:
    with pytest.raises(USER_ERRORS, match=r"pipeline no-such-pipeline does not exist"):
        backend.pipelines.start("no-such-pipeline", {})


def test_a_pipeline_without_executions_lists_none(backend: Backend) -> None:
    """Before it is created too: the flows then say "no executions yet" and what to run."""
    assert backend.pipelines.list_executions(backend.outputs.pipeline_name) == []
    assert backend.pipelines.list_executions(_created(backend)) == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [({"Nope": 1}, "Nope"), ({"Threshold": "high"}, "Threshold")],
    ids=["unknown-parameter", "wrong-type"],
)
def test_a_bad_override_is_refused_before_an_execution_starts(
    backend: Backend, overrides: dict[str, Any], named: str
) -> None:
    name = _created(backend)
    with pytest.raises(USER_ERRORS, match=named):
        backend.pipelines.start(name, overrides)
    assert backend.pipelines.list_executions(name) == []


def test_an_execution_succeeds_and_lists_its_steps(backend: Backend) -> None:
    runner: PipelineRunner = backend.pipelines
    execution_id = runner.start(_created(backend), HOLDS, description="conformance")
    final = runner.wait(execution_id, FAST)
    assert (final.id, final.status, final.failure_reason) == (execution_id, "Succeeded", None)
    assert [(s.name, s.status) for s in final.steps] == [("Gate", "Succeeded")]
    assert runner.describe(execution_id) == final
    # Every step reports when it ran and a duration in seconds, never None, on both backends.
    (gate,) = final.steps
    assert gate.started is not None and gate.ended is not None
    assert isinstance(gate.seconds, float) and gate.seconds >= 0.0


def test_executions_are_listed_newest_first(backend: Backend) -> None:
    runner: PipelineRunner = backend.pipelines
    name = _created(backend)
    started = [runner.start(name, {"Threshold": float(n)}) for n in (1, 2, 3)]
    listed = runner.list_executions(name)
    assert [e.id for e in listed] == started[::-1]
    assert {e.pipeline for e in listed} == {name}


@pytest.mark.parametrize("spelling", ["sibling", "not-an-id"])
def test_an_unknown_execution_is_unknown(backend: Backend, spelling: str) -> None:
    """An id shaped like the backend's own but unknown, and one that could never be an id."""
    known = backend.pipelines.start(_created(backend), HOLDS)
    unknown = known[:-4] + ("zzzz" if not known.endswith("zzzz") else "yyyy")
    with pytest.raises(UnknownExecution):
        backend.pipelines.describe(unknown if spelling == "sibling" else spelling)
