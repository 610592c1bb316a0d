"""``orchestrator logs`` on AWS (issue #19), against moto's CloudWatch Logs: an execution's jobs
found from its steps' metadata (ListPipelineExecutionSteps) and read from SageMaker's job log
groups by stream prefix, the endpoint's group, every FilterLogEvents page, a follow-up read that
returns only new events, a group that does not exist yet reported rather than failing, and the
request id of the serving container's structured lines."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_extensions import REGION

from orchestrator.backends.aws.logs import AwsLogReader
from orchestrator.backends.base import ExecutionSummary, StepSummary
from orchestrator.backends.logs import LogSource
from orchestrator.errors import UserError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestrator"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    PREFIX,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
)

ENDPOINT_GROUP = f"/aws/sagemaker/Endpoints/{PREFIX}-endpoint"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def _put(logs: Any, group: str, stream: str, messages: list[str], start_ms: int) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start_ms + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def _emf(request_id: str) -> str:
    return json.dumps({"_aws": {"Timestamp": 1}, "RequestId": request_id, "Status": 200})


@pytest.mark.usefixtures("moto")
def test_an_execution_s_jobs_are_read_by_stream_prefix_over_every_page() -> None:
    logs = boto3.client("logs", region_name=REGION)
    now = int(time.time() * 1000)
    _put(logs, "/aws/sagemaker/ProcessingJobs", "prep-1/algo-1-1", [f"p{i}" for i in range(7)], now)
    _put(logs, "/aws/sagemaker/ProcessingJobs", "other-job/algo-1-1", ["not ours"], now)
    _put(logs, "/aws/sagemaker/TrainingJobs", "tune-1-001-abc/algo-1", ["t0", "t1"], now)
    from test_cli_aws import stack_outputs

    reader = AwsLogReader(logs, stack_outputs(), page_size=3)
    execution = ExecutionSummary(
        id="e1",
        pipeline="p",
        status="Succeeded",
        steps=(
            StepSummary(
                "Preprocess", "Processing", "Succeeded", job_arn=f"{ARN}:processing-job/prep-1"
            ),
            StepSummary(
                "Train", "Tuning", "Succeeded", job_arn=f"{ARN}:hyper-parameter-tuning-job/tune-1"
            ),
            StepSummary(
                "Evaluate", "Processing", "Succeeded", job_arn=f"{ARN}:processing-job/eval-1"
            ),
            StepSummary("Gate", "Condition", "Succeeded"),
        ),
    )
    sources = reader.execution_sources(execution)
    assert [(s.name, s.location, s.prefix) for s in sources] == [
        ("Preprocess", "/aws/sagemaker/ProcessingJobs", "prep-1/"),
        ("Train", "/aws/sagemaker/TrainingJobs", "tune-1-"),
        ("Evaluate", "/aws/sagemaker/ProcessingJobs", "eval-1/"),
    ]
    batch = reader.read(sources, None, None)
    assert [e.message for e in batch.events] == [*(f"p{i}" for i in range(7)), "t0", "t1"]
    assert batch.events[0].stream == "prep-1/algo-1-1" and batch.missing == []
    again = reader.read(sources, None, batch.cursor)
    assert again.events == []  # nothing new: nothing twice
    logs.put_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs",
        logStreamName="prep-1/algo-1-1",
        logEvents=[{"timestamp": now + 6, "message": "same millisecond"},
                   {"timestamp": now + 50, "message": "later"}],
    )  # fmt: skip
    assert [e.message for e in reader.read(sources, None, again.cursor).events] == [
        "same millisecond",
        "later",
    ]


@pytest.mark.usefixtures("moto")
def test_the_endpoint_group_request_ids_and_a_missing_group() -> None:
    from test_cli_aws import stack_outputs

    logs = boto3.client("logs", region_name=REGION)
    reader = AwsLogReader(logs, stack_outputs())
    with pytest.raises(UserError, match=f"pass --endpoint {PREFIX}-endpoint"):
        reader.endpoint_sources("someone-elses-endpoint")
    sources = reader.endpoint_sources(f"{PREFIX}-endpoint")
    assert sources == [LogSource("endpoint", ENDPOINT_GROUP)]
    assert reader.read(sources, None, None).missing == sources  # nothing served yet
    _put(
        logs,
        ENDPOINT_GROUP,
        "AllTraffic/i-0abc",
        [_emf("r-1"), "plain text"],
        int(time.time() * 1000),
    )
    events = reader.read(sources, None, None).events
    assert [(e.request_id, e.stream) for e in events] == [
        ("r-1", "AllTraffic/i-0abc"),
        (None, "AllTraffic/i-0abc"),
    ]


@pytest.mark.usefixtures("moto")
def test_cli_reads_the_latest_execution_and_the_endpoint(
    envdir: Path,  # noqa: F811  (the imported fixture, by name)
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = ["--stack-outputs", str(outputs_file)]
    assert cli(envdir, "pipeline", "upsert", *flags) == 0
    assert cli(envdir, "pipeline", "start", *flags) == 0
    capsys.readouterr()
    logs = boto3.client("logs", region_name=REGION)
    now = int(time.time() * 1000)
    # moto's steps name each processing job after its step (moto_extensions/state.py).
    _put(logs, "/aws/sagemaker/ProcessingJobs", "Preprocess/algo-1-1", ["rows_in=569"], now)
    assert cli(envdir, "logs", "--execution", "latest", *flags, "--output", "json") == 0
    printed = capsys.readouterr()
    lines = [json.loads(line) for line in printed.out.splitlines()]
    assert [(x["source"], x["message"]) for x in lines] == [("Preprocess", "rows_in=569")]
    assert "does not exist (yet)" not in printed.err or "Evaluate" in printed.err
    _put(logs, ENDPOINT_GROUP, "AllTraffic/i-1", [_emf("abc-1")], now)
    args = ["logs", "--endpoint", f"{PREFIX}-endpoint", *flags, "--follow", "--timeout", "0.2"]
    assert cli(envdir, *args, "--poll-interval", "0.05", "--output", "json") == 0
    assert [json.loads(x)["request_id"] for x in capsys.readouterr().out.splitlines()] == ["abc-1"]
    assert cli(envdir, "logs", "--endpoint", "nope", *flags) == 2
    assert f"pass --endpoint {PREFIX}-endpoint" in capsys.readouterr().err


class _Jobs:
    """DescribeProcessingJob as SageMaker answers a name in its ARN's (lowercased) form: with
    the name as created. moto looks names up case-sensitively, so this one call is stubbed."""

    class exceptions:
        ResourceNotFound = KeyError

    def describe_processing_job(self, ProcessingJobName: str) -> dict[str, str]:
        assert ProcessingJobName == "pipelines-x1y2-preprocess-abcd"
        return {"ProcessingJobName": "pipelines-x1y2-Preprocess-AbCd"}


@pytest.mark.usefixtures("moto")
def test_a_pipeline_job_is_read_by_its_name_as_created_not_its_arn_s() -> None:
    from test_cli_aws import stack_outputs

    logs = boto3.client("logs", region_name=REGION)
    group = "/aws/sagemaker/ProcessingJobs"
    _put(
        logs,
        group,
        "pipelines-x1y2-Preprocess-AbCd/algo-1",
        ["mixed case"],
        int(time.time() * 1000),
    )
    reader = AwsLogReader(logs, stack_outputs(), _Jobs())
    arn = f"{ARN}:processing-job/pipelines-x1y2-preprocess-abcd"
    execution = ExecutionSummary(
        id="e", pipeline="p", status="Succeeded",
        steps=(StepSummary("Preprocess", "Processing", "Succeeded", job_arn=arn),),
    )  # fmt: skip
    sources = reader.execution_sources(execution)
    assert sources[0].prefix == "pipelines-x1y2-Preprocess-AbCd/"
    assert [e.message for e in reader.read(sources, None, None).events] == ["mixed case"]
