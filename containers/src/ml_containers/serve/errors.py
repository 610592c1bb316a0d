"""Client-facing errors: every refusal is an :class:`HttpError` that becomes a JSON body
``{"error": {"code": ..., "message": ..., <details>}}``, so callers (and SageMaker, which relays
the body to the InvokeEndpoint caller) always get a readable reason, never an HTML page."""

from __future__ import annotations

from typing import Any

import orjson

REASONS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "unavailable",
    504: "prediction_timeout",
}


class HttpError(Exception):
    """A request that cannot be served; ``details`` (e.g. row, column) go into the body."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def body(self, request_id: str) -> bytes:
        error: dict[str, Any] = {
            "code": self.status,
            "reason": REASONS.get(self.status, "error"),
            "message": self.message,
        }
        error.update(self.details)
        return orjson.dumps({"error": error, "request_id": request_id})


class BadRequest(HttpError):
    """400: the body is malformed; the message names the row and column where possible."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(400, message, **details)
