"""The local endpoint's stable address: an HTTP reverse proxy whose target can be switched
atomically, which is what makes a local blue/green deployment drop no request.

Why a proxy rather than swapping processes on a shared port (SO_REUSEPORT): with a shared port
the kernel keeps routing new connections to the old server until it closes its socket, and
keep-alive connections stay pinned to it, so "switch only after the new model passed its health
check" and "drain, then stop" cannot be stated precisely. Here every request picks its backend
when it arrives, under one lock that the switch also takes, and counts itself in flight on that
backend until its response is complete; after a switch no request can pick the old backend, and
once its in-flight count reaches zero it can be stopped without cutting anyone off.

It runs uvicorn in a background thread serving a small ASGI app, and forwards with one shared
``httpx.AsyncClient``. It listens on loopback only.

It also answers SageMaker Runtime's own API, ``POST /endpoints/<name>/invocations`` (what
``InvokeEndpoint`` sends), so ``boto3.client("sagemaker-runtime", endpoint_url=proxy.url)``
works against a local endpoint unchanged: the request goes to the model's ``/invocations``
without the SDK's signing headers, a 2xx answer comes back with ``x-Amzn-Invoked-Production-
Variant``, and a model's refusal becomes SageMaker's ``ModelError`` (424, with the model's
status and body as ``OriginalStatusCode`` and ``OriginalMessage``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from typing import Any

import httpx
import orjson
import uvicorn

from orchestrator.backends.local.serving_errors import EndpointError

# Bigger than any model server's payload limit, so the server (not the proxy) decides on 413.
MAX_BODY_BYTES = 64 * 1024 * 1024
# Headers that describe one hop, not the message (RFC 9110 section 7.6.1), plus the ones httpx
# recomputes for the forwarded request or that no longer hold after httpx decoded the body.
_HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}

# Request headers of the SDK's own (signing, retries, user agent), never passed to the model.
_SDK_HEADERS = ("authorization", "x-amz-", "amz-sdk-")
_RUNTIME_PREFIX = "/endpoints/"
_RUNTIME_SUFFIX = "/invocations"
VARIANT = "AllTraffic"

Scope = dict[str, Any]


class SwitchingProxy:
    """Forwards every request to the current target URL; see the module docstring."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        request_timeout: float = 60.0,
        endpoint_name: str | None = None,
    ) -> None:
        self.endpoint_name = endpoint_name  # None: the runtime API answers for any name
        self._lock = threading.Lock()
        self._target: str | None = None
        self._in_flight: Counter[str] = Counter()
        self._request_timeout = request_timeout
        self._client: httpx.AsyncClient | None = None
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it Nagle's algorithm adds ~40 ms to every keep-alive response.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise EndpointError(
                f"cannot listen on {host}:{port} for the local endpoint: {exc}; choose another "
                "port (--port) or stop what is using it"
            ) from None
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            interface="asgi3",
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"endpoint-proxy-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise EndpointError(f"the local endpoint proxy on {self.url} did not start")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    # -- switching -----------------------------------------------------------------------------
    @property
    def target(self) -> str | None:
        with self._lock:
            return self._target

    def switch_to(self, url: str | None) -> str | None:
        """Send every request that arrives from now on to ``url``; returns the previous target."""
        with self._lock:
            previous, self._target = self._target, url
        return previous

    def in_flight(self, url: str) -> int:
        with self._lock:
            return self._in_flight[url]

    def wait_drained(self, url: str, timeout: float) -> bool:
        """Wait until no request is in flight on ``url``; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while self.in_flight(url) > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _acquire(self) -> str | None:
        with self._lock:
            target = self._target
            if target is not None:
                self._in_flight[target] += 1
            return target

    def _release(self, target: str) -> None:
        with self._lock:
            self._in_flight[target] -= 1

    # -- the ASGI app --------------------------------------------------------------------------
    async def _app(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await _send_error(send, 413, f"request body over {MAX_BODY_BYTES} bytes")
                return
            if not message.get("more_body", False):
                break
        runtime = _runtime_endpoint(scope)
        if runtime is not None:
            await self._runtime(scope, runtime, bytes(body), send)
            return
        target = self._acquire()
        if target is None:
            await _send_error(send, 503, "no model is deployed on this endpoint yet")
            return
        try:
            response = await self._forward(scope, bytes(body), target)
        except httpx.HTTPError as exc:
            await _send_error(send, 502, f"the model server did not answer: {exc!r}")
            return
        finally:
            self._release(target)
        await _relay(send, response, [])

    async def _runtime(self, scope: Scope, name: str, body: bytes, send: Any) -> None:
        """InvokeEndpoint: the model's answer, or SageMaker Runtime's error for it."""
        if scope["method"] != "POST":
            await _runtime_error(send, 405, "ValidationError", "InvokeEndpoint is a POST")
            return
        if self.endpoint_name is not None and name != self.endpoint_name:
            message = f"Endpoint {name} of account local not found."
            await _runtime_error(send, 400, "ValidationError", message)
            return
        target = self._acquire()
        if target is None:
            message = f"Endpoint {name} has no model deployed yet."
            await _runtime_error(send, 503, "ServiceUnavailable", message)
            return
        try:
            response = await self._forward(scope, body, target, "/invocations")
        except httpx.HTTPError as exc:
            await _runtime_error(send, 500, "InternalFailure", f"the model did not answer: {exc!r}")
            return
        finally:
            self._release(target)
        if response.is_success:
            variant = (b"x-amzn-invoked-production-variant", VARIANT.encode())
            await _relay(send, response, [variant])
            return
        await _model_error(send, name, response)

    async def _forward(
        self, scope: Scope, body: bytes, target: str, path: str | None = None
    ) -> httpx.Response:
        assert self._client is not None  # created at lifespan startup
        raw_path = path or (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = "" if path else scope.get("query_string", b"").decode("latin-1")
        url = target + raw_path + (("?" + query) if query else "")
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in _HOP_HEADERS
            and not (path and name.decode("latin-1").lower().startswith(_SDK_HEADERS))
        ]
        return await self._client.request(scope["method"], url, headers=headers, content=body)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = httpx.AsyncClient(
                    timeout=self._request_timeout,
                    trust_env=False,  # loopback only: never through an HTTP(S)_PROXY
                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _runtime_endpoint(scope: Scope) -> str | None:
    """The endpoint name of an InvokeEndpoint path, else None."""
    path: str = scope["path"]
    if path.startswith(_RUNTIME_PREFIX) and path.endswith(_RUNTIME_SUFFIX):
        name = path[len(_RUNTIME_PREFIX) : -len(_RUNTIME_SUFFIX)]
        if name and "/" not in name:
            return name
    return None


async def _relay(send: Any, response: httpx.Response, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.multi_items()
        if name.lower() not in _HOP_HEADERS
    ]
    headers += [*extra, (b"content-length", str(len(response.content)).encode())]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})


async def _model_error(send: Any, name: str, response: httpx.Response) -> None:
    """What SageMaker Runtime answers when the container refuses: 424 ModelError."""
    status = response.status_code
    kind = "client" if status < 500 else "server"
    original = response.text
    message = (
        f'Received {kind} error ({status}) from primary with message "{original[:1000]}". '
        f"See the local endpoint's server log for {name}."
    )
    document = {
        "ErrorCode": f"{kind.upper()}_ERROR_FROM_MODEL",
        "Message": message,
        "OriginalMessage": original,
        "OriginalStatusCode": status,
        "LogStreamArn": f"local:/{name}/{VARIANT}",
    }
    await _send_json(send, 424, document, "ModelError")


async def _runtime_error(send: Any, status: int, code: str, message: str) -> None:
    await _send_json(send, status, {"__type": code, "message": message}, code)


async def _send_json(send: Any, status: int, document: dict[str, Any], code: str) -> None:
    body = orjson.dumps(document)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-errortype", code.encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Any, status: int, message: str) -> None:
    body = orjson.dumps({"error": {"code": status, "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
