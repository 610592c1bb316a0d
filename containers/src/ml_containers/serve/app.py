"""The ASGI application: SageMaker's ``/ping``, ``/invocations`` and ``/execution-parameters``.

Plain ASGI, no framework: a single-row request is dominated by the model's own ~100-200 µs, so
the app does only what the contract needs (negotiate, read the body within the payload limit,
decode, transform, predict, encode, log) with per-model constants prepared at start-up.

Where the work runs: a small body whose prediction the model's measured cost says is cheap runs
inline on the event loop; anything larger runs in the timed prediction thread
(:mod:`.runner`), which is also what keeps ``/ping`` answering during a long batch request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from .business import BusinessMetrics
from .capture import capture_from_environ
from .config import ServeConfig
from .decoding import decode
from .emf import MetricsLog
from .errors import HttpError
from .model import ServedModel
from .negotiation import MEDIA_TYPE_OF, InputFormat, OutputFormat, input_format, output_format
from .runner import PredictionRunner

log = logging.getLogger("serve")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Bodies up to this size are decoded on the event loop; larger ones in the prediction thread.
INLINE_BODY_BYTES = 64 * 1024
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
_JSON = b"application/json"
_ASCII_COMPATIBLE = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})  # digits read alike


class ServingApp:
    def __init__(self, model: ServedModel, config: ServeConfig, runner: PredictionRunner) -> None:
        self.model = model
        self.config = config
        self.runner = runner
        self.metrics = MetricsLog(config.metrics_namespace, model.model_id, model.model_version)
        self.business = BusinessMetrics(config.metrics_namespace, config.business, model.classes)
        self.capture = capture_from_environ()  # None unless DATA_CAPTURE_DIR is set
        self.max_payload = config.max_payload_bytes
        self._model_headers = [
            (b"x-model-id", _header_value(model.model_id)),
            (b"x-model-version", _header_value(model.model_version)),
        ]
        self._csv_columns = (b"x-output-columns", _header_value(model.encoder.csv_columns))
        self._execution_parameters = orjson.dumps(
            {
                "MaxConcurrentTransforms": config.workers,
                "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": config.max_payload_mb,
            }
        )
        self._request_prefix = uuid.uuid4().hex[:16]  # built in each worker after the fork
        self._request_count = 0
        self._ping = orjson.dumps(
            {"status": "healthy", "model": {"id": model.model_id, "version": model.model_version}}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is turned off in the worker; nothing else is served
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/invocations":
            if method == "POST":
                await self._invocations(scope, receive, send)
            else:
                await self._refuse(send, scope, HttpError(405, "use POST /invocations"), b"POST")
        elif path == "/ping":
            if method in ("GET", "HEAD"):
                await _respond(send, 200, self._ping, _JSON, self._model_headers)
            else:
                await self._refuse(send, scope, HttpError(405, "use GET /ping"), b"GET, HEAD")
        elif path == "/execution-parameters":
            if method in ("GET", "HEAD"):
                await _respond(send, 200, self._execution_parameters, _JSON, self._model_headers)
            else:
                error = HttpError(405, "use GET /execution-parameters")
                await self._refuse(send, scope, error, b"GET, HEAD")
        else:
            error = HttpError(
                404,
                f"no such path {path[:100]!r}; this server answers GET /ping, POST /invocations "
                "and GET /execution-parameters",
            )
            await self._refuse(send, scope, error, None)

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        content_type = accept = length = request_id = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accept = value
            elif name == b"content-length":
                length = value
            elif name == b"x-request-id" and _REQUEST_ID.match(value):
                request_id = value.decode()
        request_id = request_id or self._new_request_id()
        status, rows, inference_ms = 200, 0, 0.0
        error_message: str | None = None
        try:
            fmt, charset = input_format(content_type)
            out = output_format(accept)
            if length is not None and _declared_length(length) > self.max_payload:
                raise self._too_large(f"Content-Length {_declared_length(length)}")
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body: bytes = message.get("body", b"")
            if message.get("more_body", False) or len(body) > self.max_payload:
                rest = await self._read_rest(body, receive)
                if rest is None:
                    return
                body = rest
            response, output, inference_ms = await self._predict(
                body, fmt, charset, out, request_id
            )
            rows = len(output)
            headers = [
                *self._model_headers,
                (b"x-request-id", request_id.encode()),
                (b"x-inference-ms", b"%.3f" % inference_ms),
            ]
            if out is OutputFormat.CSV:
                headers.append(self._csv_columns)
            await _respond(send, 200, response, MEDIA_TYPE_OF[out], headers)
            self.business.observe(output)  # aggregated; written once per interval
            if self.capture is not None:
                self.capture.record(content_type, body, MEDIA_TYPE_OF[out], response)
        except HttpError as error:
            status, error_message = error.status, error.message
            await self._send_error(send, error, request_id)
        except Exception as exc:  # a bug or a model failure: logged in full, answered as JSON
            log.exception("request %s failed", request_id)
            status, error_message = 500, f"{type(exc).__name__}: {exc}"
            failure = HttpError(
                500, "the server failed to predict for this request; see the server log"
            )
            await self._send_error(send, failure, request_id)
        self.metrics.invocation(
            status=status,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            inference_ms=inference_ms,
            rows=rows,
            request_id=request_id,
            content_type=content_type,
            accept=accept,
            error=error_message,
        )

    async def _read_rest(self, first: bytes, receive: Receive) -> bytes | None:
        """The rest of a body that came in several pieces, refusing (413) as soon as it passes
        the limit: chunked bodies are capped too, whatever Content-Length said.

        After a refusal the server discards the rest of the body as it arrives, without buffering
        it (as nginx's lingering close does): closing with unread data would make the kernel send
        a reset, and the client would lose the 413 and see only a broken connection."""
        chunks = [first]
        total = len(first)
        while True:
            if total > self.max_payload:
                raise self._too_large("the body")
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            total += len(chunk)
            if not message.get("more_body", False):
                break
        if total > self.max_payload:
            raise self._too_large("the body")
        return b"".join(chunks)

    async def _predict(
        self, body: bytes, fmt: InputFormat, charset: str, out: OutputFormat, request_id: str
    ) -> tuple[bytes, Any, float]:
        model = self.model
        timeout = self.runner.timeout_s
        if len(body) <= INLINE_BODY_BYTES:
            started = time.perf_counter()
            if charset in _ASCII_COMPATIBLE:
                # Rows of plain numbers (CSV or JSON), the common real-time request: one C call.
                output = model.predict_body(body, fmt)
                if output is not None:
                    inference_ms = round((time.perf_counter() - started) * 1000, 3)
                    encoded = model.encoder.encode(output, out, request_id, inference_ms)
                    return encoded, output, inference_ms
            batch = decode(body, fmt, charset, model.layout)
            if model.runs_inline(batch.rows, timeout):
                return _predict_and_encode(model, batch, out, request_id, started)
            return await self.runner.run(
                _predict_and_encode, model, batch, out, request_id, started
            )
        return await self.runner.run(
            _decode_predict_encode, model, body, fmt, charset, out, request_id
        )

    def _new_request_id(self) -> str:
        """Unique without a system call: a random per-process prefix and a counter."""
        self._request_count += 1
        return f"{self._request_prefix}-{self._request_count:08x}"

    def _too_large(self, what: str) -> HttpError:
        return HttpError(
            413,
            f"{what} is larger than the {self.config.max_payload_mb} MB payload limit; split the "
            "rows into smaller requests (or raise SAGEMAKER_MAX_PAYLOAD_IN_MB / MaxPayloadInMB)",
            limit_bytes=self.max_payload,
        )

    async def _send_error(self, send: Send, error: HttpError, request_id: str) -> None:
        headers = [*self._model_headers, (b"x-request-id", request_id.encode())]
        await _respond(send, error.status, error.body(request_id), _JSON, headers)

    async def _refuse(
        self, send: Send, scope: Scope, error: HttpError, allow: bytes | None
    ) -> None:
        request_id = self._new_request_id()
        headers = [(b"x-request-id", request_id.encode())]
        if allow is not None:
            headers.append((b"allow", allow))
        await _respond(send, error.status, error.body(request_id), _JSON, headers)
        self.metrics.record(
            method=str(scope["method"])[:16],
            path=str(scope["path"])[:200],
            status=error.status,
            latency_ms=0.0,
            inference_ms=0.0,
            rows=0,
            request_id=request_id,
            error=error.message,
        )


def _predict_and_encode(
    model: ServedModel, batch: Any, out: OutputFormat, request_id: str, started: float
) -> tuple[bytes, Any, float]:
    output = model.predict(batch)
    inference_ms = round((time.perf_counter() - started) * 1000, 3)
    return model.encoder.encode(output, out, request_id, inference_ms), output, inference_ms


def _decode_predict_encode(
    model: ServedModel,
    body: bytes,
    fmt: InputFormat,
    charset: str,
    out: OutputFormat,
    request_id: str,
) -> tuple[bytes, Any, float]:
    started = time.perf_counter()
    batch = decode(body, fmt, charset, model.layout)
    return _predict_and_encode(model, batch, out, request_id, started)


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", b"%d" % len(body)),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # the HTTP parser has already refused malformed lengths


def _header_value(text: str) -> bytes:
    """Header-safe bytes: printable ASCII only (model ids come from files, not from code)."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text).encode("ascii")
