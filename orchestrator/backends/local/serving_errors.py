"""Errors of the local endpoint and batch transform, each carrying a message that names the
problem and the fix, so the CLI can print it as one paragraph and exit non-zero."""

from __future__ import annotations

import orjson

from orchestrator.errors import OperationFailed


class EndpointError(OperationFailed, RuntimeError):
    """A model could not be deployed or served (bad artifact, server failed to start, failed its
    health check). The previously deployed model, if any, keeps serving."""


class InvocationError(OperationFailed, RuntimeError):
    """The model server answered an invocation with an error status."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"the endpoint answered {status_code}: {message}")
        self.status_code = status_code
        self.message = message


class BatchTransformError(OperationFailed, RuntimeError):
    """A batch transform could not run or produced output that breaks its contract."""


def server_error_message(body: bytes) -> str:
    """What a model server said went wrong: the ``{"error": {"message": ...}}`` the ``serve``
    program answers with, else the start of whatever body it sent."""
    try:
        error = orjson.loads(body)["error"]
        return str(error["message"] if isinstance(error, dict) else error)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return body[:300].decode(errors="replace") or "(empty body)"
