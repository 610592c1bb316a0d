"""The pipeline on SageMaker (moto): upsert with diff/skip, start with checked overrides, and
wait with timeout, progress and the failing step's reason.

moto runs every execution to Succeeded at once and has no ListPipelineExecutionSteps or
StopPipelineExecution; ``moto_extensions`` adds them and lets a test script an execution's
states in moto's backend (what SageMaker would report while it runs).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ml_containers.schema import parse_schema
from moto_extensions import ExecutionState, backend, script_execution, step

from orchestrator.backends.aws import (
    AwsRequestError,
    ParameterOverrideError,
    PipelineExecutionFailed,
    PollSettings,
    WaitTimeout,
    start_execution,
    stop_execution,
    upsert_pipeline,
    wait_for_execution,
)
from orchestrator.backends.aws.clients import AwsClients
from orchestrator.backends.aws.pipelines import ExecutionState as Observed
from orchestrator.backends.aws.pipelines import execution_state
from orchestrator.pipeline import PipelineConfig, PipelineDefinition, build_definition
from orchestrator.pipeline.diff import definition_diff
from orchestrator.settings.stack_outputs import StackOutputs

SCHEMA = {
    "name": "churn",
    "problem_type": "binary_classification",
    "target": {"name": "churned", "classes": ["no", "yes"]},
    "features": [{"name": "tenure", "type": "integer", "min": 0}],
}


def definition(outputs: StackOutputs, **overrides: Any) -> PipelineDefinition:
    config = PipelineConfig(
        dataset=parse_schema(SCHEMA),
        input_data_uri="s3://mlops-dev-data/raw/",
        schema_uri="s3://mlops-dev-data/schema/schema.yaml",
        code_version="0123456789abcdef0123456789abcdef01234567",
        **overrides,
    )
    return build_definition(config, outputs)


class FakeClock:
    """A clock that advances only when the poll loop sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def settings(self, timeout: float, interval: float = 10.0) -> PollSettings:
        return PollSettings(timeout, interval, sleep=self.sleep, clock=lambda: self.now)


def count_calls(client: Any, operation: str) -> list[str]:
    calls: list[str] = []
    client.meta.events.register(
        f"before-call.sagemaker.{operation}", lambda **_: calls.append(operation)
    )
    return calls


# -- upsert ---------------------------------------------------------------------------------------
def test_upsert_creates_then_skips_an_unchanged_definition(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    built = definition(outputs)
    created = upsert_pipeline(aws.sagemaker, built, role_arn=outputs.pipeline_role_arn)
    assert created.action == "created" and created.pipeline_name == outputs.pipeline_name
    deployed = aws.sagemaker.describe_pipeline(PipelineName=outputs.pipeline_name)
    assert json.loads(deployed["PipelineDefinition"]) == built.document
    assert deployed["RoleArn"] == outputs.pipeline_role_arn

    updates = count_calls(aws.sagemaker, "UpdatePipeline")
    again = upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
    assert (again.action, again.diff, updates) == ("unchanged", "", [])


def test_upsert_shows_the_diff_and_updates_a_changed_definition(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    old = f"{outputs.ecr_repository_url}@sha256:{'a' * 64}"
    new = f"{outputs.ecr_repository_url}@sha256:{'b' * 64}"
    upsert_pipeline(
        aws.sagemaker, definition(outputs, image_uri=old), role_arn=outputs.pipeline_role_arn
    )
    changed = definition(outputs, image_uri=new)
    result = upsert_pipeline(aws.sagemaker, changed, role_arn=outputs.pipeline_role_arn)
    assert result.action == "updated"
    removed = [
        line for line in result.diff.splitlines() if line.startswith("-") and "a" * 64 in line
    ]
    added = [line for line in result.diff.splitlines() if line.startswith("+") and "b" * 64 in line]
    assert removed and added
    deployed = aws.sagemaker.describe_pipeline(PipelineName=outputs.pipeline_name)
    assert json.loads(deployed["PipelineDefinition"]) == changed.document


def test_a_changed_role_alone_is_an_update(aws: AwsClients, outputs: StackOutputs) -> None:
    upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
    other_role = outputs.pipeline_role_arn + "-v2"
    result = upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=other_role)
    assert result.action == "updated" and "RoleArn" in result.diff
    assert aws.sagemaker.describe_pipeline(PipelineName=outputs.pipeline_name)["RoleArn"] == (
        other_role
    )


def test_the_diff_ignores_key_order_and_whitespace() -> None:
    assert definition_diff('{"a": 1, "b": [1, 2]}', '{\n "b": [1,2], "a": 1}') == ""
    assert '+  "a": 2' in definition_diff('{"a": 1}', '{"a": 2}')


# -- start ----------------------------------------------------------------------------------------
def test_start_sends_checked_overrides_as_strings(aws: AwsClients, outputs: StackOutputs) -> None:
    upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
    arn = start_execution(
        aws.sagemaker,
        outputs.pipeline_name,
        {"MetricThreshold": 0.8, "MaxTuningJobs": "6", "ModelApprovalStatus": "Approved"},
    )
    sent = aws.sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    assert {p["Name"]: p["Value"] for p in sent["PipelineParameters"]} == {
        "MaxTuningJobs": "6",
        "MetricThreshold": "0.8",
        "ModelApprovalStatus": "Approved",
    }


def test_bad_overrides_are_refused_before_starting(aws: AwsClients, outputs: StackOutputs) -> None:
    upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
    starts = count_calls(aws.sagemaker, "StartPipelineExecution")
    with pytest.raises(ParameterOverrideError) as caught:
        start_execution(
            aws.sagemaker,
            outputs.pipeline_name,
            {"Threshold": 1, "MaxTuningJobs": "many", "ModelApprovalStatus": "Maybe"},
        )
    message = str(caught.value)
    assert "'Threshold' is not a parameter" in message and "MetricThreshold" in message
    assert "MaxTuningJobs: 'many' is not an Integer" in message
    assert "ModelApprovalStatus: 'Maybe' is not one of" in message
    assert starts == [] and caught.value.exit_code == 2


def test_starting_a_pipeline_that_does_not_exist_says_to_upsert(aws: AwsClients) -> None:
    with pytest.raises(Exception, match="pipeline upsert"):
        start_execution(aws.sagemaker, "no-such-pipeline")


# -- wait -----------------------------------------------------------------------------------------
def started(aws: AwsClients, outputs: StackOutputs) -> str:
    upsert_pipeline(aws.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
    return start_execution(aws.sagemaker, outputs.pipeline_name)


def test_wait_reports_progress_and_returns_the_succeeded_state(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    arn = started(aws, outputs)
    script_execution(
        arn,
        [
            ExecutionState("Executing", [step("Preprocess", "Executing")]),
            ExecutionState("Executing", [step("Preprocess", "Executing")]),
            ExecutionState(
                "Executing", [step("Preprocess", "Succeeded"), step("Tune", "Executing")]
            ),
            ExecutionState(
                "Succeeded", [step("Preprocess", "Succeeded"), step("Tune", "Succeeded")]
            ),
        ],
    )
    clock = FakeClock()
    seen: list[Observed] = []
    final = wait_for_execution(aws.sagemaker, arn, clock.settings(600), progress=seen.append)
    assert final.status == "Succeeded"
    assert [s.name for s in final.steps] == ["Preprocess", "Tune"]
    # One report per change (the repeated state is not reported twice).
    assert [(o.status, [(s.name, s.status) for s in o.steps]) for o in seen] == [
        ("Executing", [("Preprocess", "Executing")]),
        ("Executing", [("Preprocess", "Succeeded"), ("Tune", "Executing")]),
        ("Succeeded", [("Preprocess", "Succeeded"), ("Tune", "Succeeded")]),
    ]
    assert clock.sleeps == [10.0, 10.0, 10.0]


def test_wait_times_out_while_the_execution_runs(aws: AwsClients, outputs: StackOutputs) -> None:
    arn = started(aws, outputs)
    script_execution(arn, [ExecutionState("Executing", [step("Preprocess", "Executing")])])
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as caught:
        wait_for_execution(aws.sagemaker, arn, clock.settings(timeout=35, interval=10))
    assert arn in str(caught.value) and "35 s" in str(caught.value)
    assert "keeps running" in str(caught.value)
    assert clock.now == 35 and clock.sleeps == [10, 10, 10, 5]  # bounded, never past the timeout
    assert caught.value.last.status == "Executing"


def test_a_failed_execution_names_the_failing_step_and_reason(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    arn = started(aws, outputs)
    reason = "AlgorithmError: validation:auc was not reported by the training job"
    script_execution(
        arn,
        [
            ExecutionState(
                "Failed",
                [step("Preprocess", "Succeeded"), step("Tune", "Failed", reason, "Tuning")],
                failure_reason="Step failure: One or multiple steps failed.",
            )
        ],
    )
    with pytest.raises(PipelineExecutionFailed) as caught:
        wait_for_execution(aws.sagemaker, arn, FakeClock().settings(60))
    message = str(caught.value)
    assert "ended Failed" in message and f"step 'Tune' failed: {reason}" in message
    assert "Preprocess" not in message
    assert caught.value.exit_code == 1 and caught.value.result.status == "Failed"


def test_every_page_of_steps_is_read(aws: AwsClients, outputs: StackOutputs) -> None:
    arn = started(aws, outputs)
    many = [step(f"Step{n:03d}", "Succeeded") for n in range(130)]
    script_execution(arn, [ExecutionState("Succeeded", many)])
    pages = count_calls(aws.sagemaker, "ListPipelineExecutionSteps")
    state = execution_state(aws.sagemaker, arn)
    assert sorted(s.name for s in state.steps) == sorted(s["StepName"] for s in many)
    assert len(pages) == 2


def test_a_stopped_execution_is_a_failure(aws: AwsClients, outputs: StackOutputs) -> None:
    arn = started(aws, outputs)
    script_execution(arn, [ExecutionState("Executing", [step("Preprocess", "Executing")])])
    stop_execution(aws.sagemaker, arn)
    assert (
        backend()
        .pipelines[outputs.pipeline_name]
        .pipeline_executions[arn]
        .pipeline_execution_status
        == "Stopped"
    )
    with pytest.raises(PipelineExecutionFailed, match="ended Stopped"):
        wait_for_execution(aws.sagemaker, arn, FakeClock().settings(60))


def test_stopping_an_ended_execution_is_refused_by_name(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    arn = started(aws, outputs)
    script_execution(arn, [ExecutionState("Succeeded")])
    with pytest.raises(AwsRequestError, match=f"cannot stop pipeline execution {arn}: Conflict"):
        stop_execution(aws.sagemaker, arn)


def test_the_default_moto_execution_lists_the_definitions_steps(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    arn = started(aws, outputs)
    final = wait_for_execution(aws.sagemaker, arn, FakeClock().settings(60))
    assert {s.name for s in final.steps} == {"Preprocess", "Tune", "Evaluate", "QualityGate"}


def test_steps_carry_start_end_seconds_and_the_job_arn(
    aws: AwsClients, outputs: StackOutputs
) -> None:
    """ListPipelineExecutionSteps' StartTime, EndTime and Metadata.<Type>.Arn reach the summary;
    a running step's seconds count up to now, an ended step's are end - start, never None."""
    from datetime import UTC, datetime, timedelta

    from orchestrator.backends.aws.backend import _summary

    arn = started(aws, outputs)
    done, running = step("Preprocess", "Succeeded"), step("Tune", "Executing", step_type="Tuning")
    done["StartTime"] = datetime.now(UTC) - timedelta(minutes=10)
    done["EndTime"] = done["StartTime"] + timedelta(seconds=90)
    running["StartTime"] = datetime.now(UTC) - timedelta(minutes=5)
    tuning_arn = f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{arn[-8:]}"
    running["Metadata"] = {"TuningJob": {"Arn": tuning_arn}}
    done["AttemptCount"] = 2  # retried once under its RetryPolicies
    script_execution(arn, [ExecutionState("Executing", [done, running])])
    summary = _summary(execution_state(aws.sagemaker, arn))
    first, second = summary.steps
    assert first.seconds == 90.0 and first.job_arn and first.job_arn.endswith("/Preprocess")
    assert 299 <= second.seconds <= 330 and second.ended is None
    assert second.job_arn == tuning_arn
    listed = summary.to_dict()["steps"]
    assert all(isinstance(s["seconds"], float) for s in listed)
    assert listed[0]["started"] and listed[0]["ended"] and listed[1]["ended"] is None
    assert [s["attempts"] for s in listed] == [2, 1]  # AttemptCount


def test_a_throttling_burst_does_not_abort_a_wait(
    aws_credentials: None, outputs: StackOutputs
) -> None:
    """With no client-side retries left (max_attempts=1), three throttled
    DescribePipelineExecution calls in a row are retried by the wait itself, which then sees
    the execution succeed; only the timeout ends a wait."""
    from moto import mock_aws
    from moto_extensions import InjectError, sagemaker_patched, shared_session

    from orchestrator.backends.aws.clients import connect

    with mock_aws(), sagemaker_patched():
        clients = connect("us-east-1", session=shared_session(), max_attempts=1)
        upsert_pipeline(clients.sagemaker, definition(outputs), role_arn=outputs.pipeline_role_arn)
        arn = start_execution(clients.sagemaker, outputs.pipeline_name)
        script_execution(arn, [ExecutionState("Succeeded", [step("Preprocess", "Succeeded")])])
        throttle = InjectError(clients.sagemaker, "DescribePipelineExecution", times=3)
        clock = FakeClock()
        final = wait_for_execution(clients.sagemaker, arn, clock.settings(timeout=600))
        assert final.status == "Succeeded" and throttle.calls == 4
        assert clock.sleeps == [10.0, 10.0, 10.0]  # one interval per throttled check

        InjectError(clients.sagemaker, "DescribePipelineExecution", times=100)
        with pytest.raises(WaitTimeout, match=r"the last check failed: .*ThrottlingException"):
            wait_for_execution(clients.sagemaker, arn, FakeClock().settings(timeout=25))
