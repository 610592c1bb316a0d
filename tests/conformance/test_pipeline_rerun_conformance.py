"""Retry from failure and selective runs (issue #24): the same tests on the local runner and on
SageMaker (moto with ``moto_extensions/rerun_pipeline_execution.py``).

The pipeline is three Condition steps in a chain (First -> Second -> Third), which the local
runner executes without containers. An execution interrupted in Second is set up the way each
backend really leaves one (:func:`_interrupted`): locally the record a runner killed mid-step
leaves behind (still Executing, the runner's PID dead: Crashed); on SageMaker a Failed execution
whose First succeeded. A real SIGKILL of a local runner is tested in
``tests/orchestrator/test_local_runner_rerun.py``.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from conformance_kit import USER_ERRORS
from moto_extensions import ExecutionState, script_execution, step

from orchestrator.backends.base import Backend, UnknownExecution
from orchestrator.backends.polling import PollSettings
from orchestrator.flows import rerun
from orchestrator.pipeline import Parameter, PipelineDefinition, names, validate_definition
from orchestrator.pipeline import expressions as ex

FAST = PollSettings(timeout_seconds=30, interval_seconds=0.01)
HOLDS = {"Threshold": 1.0}
STEPS = ("First", "Second", "Third")


def _condition(name: str, after: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Name": name,
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
            "ElseSteps": [],
        },
    }
    if after:
        body["DependsOn"] = [after]
    return body


def _document() -> dict[str, Any]:
    document: dict[str, Any] = {
        "Version": names.DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [Parameter("Threshold", "Float", 0.5).to_json()],
        "Steps": [
            _condition("First", None),
            _condition("Second", "First"),
            _condition("Third", "Second"),
        ],
    }
    validate_definition(document)
    return document


def _created(backend: Backend) -> str:
    definition = PipelineDefinition(
        document=_document(), pipeline_name=backend.outputs.pipeline_name
    )
    backend.pipelines.upsert(definition, description="conformance", tags={})
    return backend.outputs.pipeline_name


def _succeeded(backend: Backend) -> str:
    execution_id = backend.pipelines.start(_created(backend), HOLDS)
    assert backend.pipelines.wait(execution_id, FAST).succeeded
    return execution_id


def _interrupted(backend: Backend) -> str:
    """An execution whose First succeeded and whose Second was interrupted (the world's part,
    played per backend)."""
    execution_id = _succeeded(backend)
    if backend.name == "aws":
        first = step("First", "Succeeded", step_type="Condition")
        second = step("Second", "Failed", "the job was killed", step_type="Condition")
        script_execution(execution_id, [ExecutionState("Failed", [first, second], "killed")])
        return execution_id
    runner = backend.pipelines.runner  # type: ignore[attr-defined]
    record = runner.executions.load(execution_id)
    dead = subprocess.Popen(["true"])
    dead.wait()
    record.status, record.end_time, record.runner_pid = "Executing", None, dead.pid
    record.steps = record.steps[:2]
    record.steps[1].status, record.steps[1].end_time = "Executing", None
    runner.executions.save(record)
    return execution_id


def test_an_interrupted_execution_retried_continues_under_its_id_without_rerunning_what_succeeded(
    backend: Backend,
) -> None:
    execution_id = _interrupted(backend)
    before = backend.pipelines.describe(execution_id)
    assert before.status in ("Failed", "Crashed")
    retried = backend.pipelines.retry(execution_id)
    final = backend.pipelines.wait(retried, FAST)
    assert (final.id, final.status) == (execution_id, "Succeeded")
    assert [s.name for s in final.steps] == list(STEPS)
    assert all(s.status == "Succeeded" for s in final.steps)
    first = final.step("First")
    assert first is not None and first.started == before.step("First").started  # not rerun
    if backend.name == "local":  # the local record says so; SageMaker does not mark the step
        assert [s.kept_on_retry for s in final.steps] == [True, False, False]


def test_a_succeeded_execution_has_nothing_to_retry(backend: Backend) -> None:
    with pytest.raises(USER_ERRORS, match="nothing to retry"):
        backend.pipelines.retry(_succeeded(backend))


def test_a_running_execution_is_not_retried(backend: Backend) -> None:
    execution_id = _succeeded(backend)
    if backend.name == "aws":
        running = [step("First", "Executing", step_type="Condition")]
        script_execution(execution_id, [ExecutionState("Executing", running)])
    else:  # a live runner's record: this process's PID
        runner = backend.pipelines.runner  # type: ignore[attr-defined]
        record = runner.executions.load(execution_id)
        record.status = "Executing"
        runner.executions.save(record)
    with pytest.raises(USER_ERRORS, match="still running"):
        backend.pipelines.retry(execution_id)


def test_an_unknown_execution_is_not_retried(backend: Backend) -> None:
    known = _succeeded(backend)
    with pytest.raises(UnknownExecution):
        backend.pipelines.retry(known[:-4] + ("zzzz" if not known.endswith("zzzz") else "yyyy"))


def test_a_selective_run_runs_the_selected_steps_and_reuses_the_rest_from_the_reference(
    backend: Backend,
) -> None:
    reference = _succeeded(backend)
    selection = rerun.check_selection(_document(), ["Third", "Second"])
    assert selection == rerun.Selection(("Second", "Third"), ("First",))
    checked = rerun.check_reference(backend, reference, selection)
    new = backend.pipelines.start_selected(_created(backend), HOLDS, checked.id, selection.steps)
    final = backend.pipelines.wait(new, FAST)
    assert new != reference and final.status == "Succeeded"
    assert [(s.name, s.status, s.reused_from) for s in final.steps] == [
        ("First", "Succeeded", reference),
        ("Second", "Succeeded", None),
        ("Third", "Succeeded", None),
    ]
    entries = final.to_dict()["steps"]  # what `run --output json` prints
    assert [e["reused_from"] for e in entries] == [reference, None, None]


def test_a_selective_run_refuses_a_reference_lacking_the_outputs_it_needs(
    backend: Backend,
) -> None:
    reference = _interrupted(backend)  # Second did not succeed there
    selection = rerun.check_selection(_document(), ["Third"])
    with pytest.raises(USER_ERRORS, match=r"lacks the outputs of Second"):
        rerun.check_reference(backend, reference, selection)


def test_a_selective_run_refuses_an_unknown_reference(backend: Backend) -> None:
    known = _succeeded(backend)
    selection = rerun.check_selection(_document(), ["Second"])
    with pytest.raises(USER_ERRORS, match="executions list"):
        rerun.check_reference(backend, known[:-4] + "zzzz", selection)


@pytest.mark.parametrize(
    ("steps", "named"),
    [(["Nope"], "Nope, which the pipeline does not have"), (["First", "Third"], "Second lies")],
    ids=["unknown-step", "gap-between-selected-steps"],
)
def test_a_selection_sagemaker_would_refuse_is_refused(steps: list[str], named: str) -> None:
    with pytest.raises(USER_ERRORS, match=named):
        rerun.check_selection(_document(), steps)


def test_a_reference_of_another_pipeline_is_refused(backend: Backend) -> None:
    other = PipelineDefinition(document=_document(), pipeline_name="other-pipeline")
    backend.pipelines.upsert(other, description="conformance", tags={})
    foreign = backend.pipelines.start("other-pipeline", HOLDS)
    selection = rerun.check_selection(_document(), ["Second"])
    with pytest.raises(USER_ERRORS, match="is an execution of other-pipeline"):
        rerun.check_reference(backend, foreign, selection)
    if backend.name == "aws":  # SageMaker refuses it too (moto_extensions models it)
        with pytest.raises(USER_ERRORS, match="not an execution of pipeline"):
            backend.pipelines.start_selected(_created(backend), HOLDS, foreign, ["Second"])


# SageMaker's own refusal (ConflictException): the local runner has none, so AWS only.
@pytest.mark.parametrize("backend", ["aws-moto"], indirect=True)
def test_an_execution_sagemaker_refuses_to_retry_is_a_clear_error(backend: Backend) -> None:
    from moto_extensions import InjectError

    execution_id = _interrupted(backend)
    InjectError(backend.pipelines.sagemaker, "RetryPipelineExecution", code="ConflictException")  # type: ignore[attr-defined]
    with pytest.raises(USER_ERRORS, match="SageMaker refuses to retry"):
        backend.pipelines.retry(execution_id)
