"""The LogReader protocol (``orchestrator logs``), the same tests on the local backend's log files
and on CloudWatch Logs (moto): the endpoint's lines in order with their request ids, a read from
a cursor returning only what came after, nothing read before anything was served, and another
endpoint's name refused as a user's mistake naming the environment's own."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from conformance_kit import USER_ERRORS
from moto_extensions import REGION

from orchestrator.backends.base import Backend
from orchestrator.backends.logs import LogReader


def _emf(request_id: str) -> str:
    return json.dumps({"_aws": {"Timestamp": int(time.time() * 1000)}, "RequestId": request_id})


def _serve_lines(backend: Backend, lines: list[str]) -> None:
    """Lines the endpoint logged, where this backend's endpoint logs them."""
    if backend.name == "aws":
        logs = boto3.client("logs", region_name=REGION)
        group = f"/aws/sagemaker/Endpoints/{backend.endpoints.endpoint_name}"
        if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="AllTraffic/i-1")
        now = int(time.time() * 1000)
        events = [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
        logs.put_log_events(logGroupName=group, logStreamName="AllTraffic/i-1", logEvents=events)
        return
    folder = Path(backend.logs.endpoints_root) / "logs" / "demo-v1"  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "serve.stdout.log").open("a") as handle:
        handle.write("".join(f"{line}\n" for line in lines))


def test_the_endpoint_s_lines_in_order_with_request_ids_then_only_new_ones(
    backend: Backend,
) -> None:
    reader: LogReader = backend.logs
    assert isinstance(reader, LogReader)
    name = backend.endpoints.endpoint_name
    before = reader.read(reader.endpoint_sources(name), None, None)
    assert before.events == []  # nothing served yet: nothing to read, no error
    _serve_lines(backend, [_emf("r-1"), "a plain line", _emf("r-2")])
    sources = reader.endpoint_sources(name)
    first = reader.read(sources, None, None)
    assert [e.request_id for e in first.events] == ["r-1", None, "r-2"]
    assert first.events[1].message == "a plain line"
    _serve_lines(backend, [_emf("r-3")])
    later = reader.read(reader.endpoint_sources(name), None, first.cursor)
    assert [e.request_id for e in later.events] == ["r-3"]


def test_another_endpoint_is_refused_naming_the_environment_s(backend: Backend) -> None:
    with pytest.raises(USER_ERRORS) as refused:
        backend.logs.endpoint_sources("someone-elses-endpoint")
    assert f"--endpoint {backend.endpoints.endpoint_name}" in str(refused.value)
