"""What tests use to play SageMaker's side of a story (never the orchestrator's): end a transform
job, share one botocore session, and inject an error answer before a request reaches moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse

from moto_extensions.state import REGION, backend


def set_transform_job_state(name: str, status: str, failure_reason: str = "") -> None:
    """End a transform job as SageMaker would (moto completes every job at once)."""
    job = backend().transform_jobs[name]
    job.transform_job_status = status
    job.failure_reason = failure_reason


_BOTOCORE_SESSION: Any = None


def shared_session() -> boto3.Session:
    """A boto3 session over one botocore session for all tests: service models are loaded
    once instead of per test (seconds saved); credentials are the fake ones from the
    environment, resolved per client."""
    global _BOTOCORE_SESSION
    if _BOTOCORE_SESSION is None:
        _BOTOCORE_SESSION = botocore.session.get_session()
    _BOTOCORE_SESSION._credentials = None  # re-read the (fake) environment credentials
    return boto3.Session(botocore_session=_BOTOCORE_SESSION, region_name=REGION)


class InjectError:
    """Answer the next ``times`` ``operation`` requests of ``client`` with HTTP 400 and error
    ``code`` before they reach moto (a ``before-send`` hook, so the answer goes through
    botocore's real parsing and retry handling). ``calls`` counts requests that were sent."""

    def __init__(
        self, client: Any, operation: str, times: int = 1, code: str = "ThrottlingException"
    ) -> None:
        self.remaining = times
        self.code = code
        self.calls = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{service}.{operation}", self)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.calls += 1
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        body = json.dumps({"__type": self.code, "message": f"injected {self.code}"})
        return AWSResponse(
            request.url,
            400,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "injected"},
            _Raw(body.encode()),
        )


class _Raw:
    """The minimal raw-response object AWSResponse reads its body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body
