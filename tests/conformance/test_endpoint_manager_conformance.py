"""The EndpointManager protocol, the same tests on the local endpoint and on SageMaker (moto).

Locally every deploy starts a real model server and must answer a test request before traffic
moves. moto cannot run a model, so ``invoke`` is tested here on the local endpoint and, for AWS,
as a request shape with botocore's Stubber (``test_aws_invoke_sends_what_invokeendpoint_takes``).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from orchestrator.backends.base import EndpointManager
from orchestrator.backends.local.health_check import typical_row_csv
from orchestrator.backends.polling import PollSettings

FAST = PollSettings(timeout_seconds=60, interval_seconds=0.01)
pytestmark = pytest.mark.xdist_group("conformance-endpoints")  # model servers: one worker


def _quiet(_message: str) -> None:
    """Progress lines are for people; the suite does not read them."""


def test_nothing_serves_before_a_deploy(case: Any) -> None:
    assert case.backend.endpoints.serving() is None


def test_deploy_update_and_rollback(case: Any) -> None:
    endpoints: EndpointManager = case.backend.endpoints
    v1 = case.register("v1", True)
    v2 = case.register("v2", True)
    created = endpoints.deploy(v1, FAST, _quiet)
    assert created.action == "created" and created.model_package_arn == v1.arn
    assert endpoints.serving() == v1.arn
    updated = endpoints.deploy(v2, FAST, _quiet)
    assert updated.action == "updated"
    assert updated.previous_config_name == created.endpoint_config_name
    assert endpoints.serving() == v2.arn
    rolled = endpoints.rollback(FAST, _quiet)
    assert rolled.action == "rolled-back" and rolled.model_package_arn == v1.arn
    assert endpoints.serving() == v1.arn


def test_a_version_that_is_not_approved_is_refused(case: Any) -> None:
    pending = case.register("pending", False)
    with pytest.raises(Exception, match="only Approved versions are deployed"):
        case.backend.endpoints.deploy(pending, FAST, _quiet)
    assert case.backend.endpoints.serving() is None


def test_a_rollback_with_nothing_before_is_refused(case: Any) -> None:
    with pytest.raises(Exception, match=r"(?i)roll back|rolled back"):
        case.backend.endpoints.rollback(FAST, _quiet)


def test_invoke(case: Any) -> None:
    """A served model answers one row; on AWS only the request half can be checked (moto runs
    no model), with botocore's Stubber on the SageMaker Runtime client."""
    endpoints = case.backend.endpoints
    if case.name == "local":
        endpoints.deploy(case.register("v1", True), FAST, _quiet)
        row = typical_row_csv(case.tmp / "bundle")
        answer = endpoints.invoke(row, "text/csv", "application/json")
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1
        return
    runtime = endpoints.runtime
    answer = b'{"predictions": [1]}'
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_endpoint",
            {
                "Body": StreamingBody(io.BytesIO(answer), len(answer)),
                "ContentType": "application/json",
            },
            {
                "EndpointName": endpoints.endpoint_name,
                "Body": b"1,2\n",
                "ContentType": "text/csv",
                "Accept": "application/json",
            },
        )
        invoked = endpoints.invoke(b"1,2\n", "text/csv", "application/json")
    assert invoked.json() == {"predictions": [1]}
