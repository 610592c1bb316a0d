"""The local endpoint: a registered model version served by the real ``serve`` program on
127.0.0.1, behind a stable address, with blue/green model swaps that drop no request.

Deploying a version unpacks its model.tar.gz from the local artifact store, starts ``serve`` on a
private port, waits for ``/ping`` *and* a real prediction (a row of typical training values),
and only then points the endpoint's proxy at it. The previous server is drained (its in-flight
requests finish) and stopped. If the new server fails to start or to predict, it is stopped and
never receives traffic: the old model keeps serving and the caller gets an :class:`EndpointError`
saying why. See ``switching_proxy`` for why a proxy rather than a shared port.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson

from orchestrator.backends.base import Invocation
from orchestrator.backends.local.health_check import typical_row_csv
from orchestrator.backends.local.model_unpack import unpack_model
from orchestrator.backends.local.serve_process import ServeProcess
from orchestrator.backends.local.serving_errors import (
    EndpointError,
    InvocationError,
    server_error_message,
)
from orchestrator.backends.local.switching_proxy import SwitchingProxy
from orchestrator.backends.model_registry import ModelPackage, ModelRegistry


@dataclass(frozen=True)
class Deployment:
    """What is serving: the registered version and the server process behind the proxy."""

    package: ModelPackage
    server: ServeProcess
    model_dir: Path


class LocalEndpoint:
    """A local stand-in for a SageMaker real-time endpoint; a context manager.

    ``store_root`` is the local artifact store (``s3://bucket/key`` -> ``<store_root>/bucket/key``),
    ``work_root`` holds unpacked models and server logs. ``port=0`` picks a free port.
    """

    def __init__(
        self,
        store_root: Path,
        work_root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int = 1,
        startup_timeout: float = 60.0,
        drain_timeout: float = 30.0,
        request_timeout: float = 60.0,
        serve_command: Sequence[str] | None = None,
        require_approved: bool = True,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise EndpointError(
                f"the local endpoint listens on loopback only, not {host!r}; use 127.0.0.1"
            )
        self.store_root = Path(store_root)
        self.work_root = Path(work_root)
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.drain_timeout = drain_timeout
        self.request_timeout = request_timeout
        self.serve_command = serve_command
        self.require_approved = require_approved
        # Added to every server's environment (data capture's DATA_CAPTURE_* variables).
        self.extra_env = dict(extra_env or {})
        self._deploy_lock = threading.Lock()
        self._active: Deployment | None = None
        self._proxy = SwitchingProxy("127.0.0.1", port, request_timeout=request_timeout)
        self._proxy.start()
        self._client = httpx.Client(timeout=request_timeout, trust_env=False)

    # -- properties ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint's stable base URL (POST ``{url}/invocations``)."""
        return self._proxy.url

    @property
    def port(self) -> int:
        return self._proxy.port

    @property
    def active(self) -> ModelPackage | None:
        """The version receiving traffic, or None before the first deploy."""
        deployment = self._active
        return deployment.package if deployment else None

    @property
    def active_model_dir(self) -> Path | None:
        deployment = self._active
        return deployment.model_dir if deployment else None

    # -- deploying -----------------------------------------------------------------------------
    def deploy(
        self,
        package: ModelPackage,
        *,
        test_body: bytes | None = None,
        test_content_type: str = "text/csv",
        check_compatibility: bool = True,
    ) -> ModelPackage:
        """Serve ``package``: start it, prove it predicts, switch traffic, retire the old one.

        The test requests are one row of typical training values of the new model and, when a
        model is already serving and ``check_compatibility`` holds, one of the *serving* model
        too: a new model that refuses the requests clients send today would break them all
        (pass ``check_compatibility=False`` for a deliberate request-schema change).
        ``test_body`` replaces both. Raises :class:`EndpointError` without touching the serving
        model on failure.
        """
        if self.require_approved and package.approval_status != "Approved":
            raise EndpointError(
                f"version {package.version} of {package.group} is {package.approval_status}; "
                "only Approved versions are deployed: approve it first (`orchestrator models "
                "approve`)"
            )
        with self._deploy_lock:
            model_dir = unpack_model(package, self.store_root, self.work_root)
            log_dir = self.work_root / "logs" / f"{package.group}-v{package.version}"
            server = ServeProcess.start(
                model_dir,
                log_dir,
                workers=self.workers,
                model_version=str(package.version),
                startup_timeout=self.startup_timeout,
                serve_command=self.serve_command,
                extra_env=self.extra_env,
            )
            previous = self._active
            try:
                if test_body is not None:
                    bodies = [test_body]
                else:
                    bodies = [_typical_request(model_dir)]
                    if previous is not None and check_compatibility:
                        bodies.append(_typical_request(previous.model_dir))
                for body in bodies:
                    self._health_check(server, package, body, test_content_type)
            except BaseException:
                server.stop(grace_seconds=2.0)
                raise
            self._proxy.switch_to(server.url)
            self._active = Deployment(package, server, model_dir)
            if previous is not None:
                self._retire(previous)
            return package

    def deploy_latest_approved(self, registry: ModelRegistry, group: str) -> ModelPackage:
        """Deploy the highest Approved version of ``group``."""
        package = registry.latest_approved(group)
        if package is None:
            raise EndpointError(
                f"model package group {group!r} has no Approved version to serve; approve one "
                "with `orchestrator models approve` (or run the pipeline with auto-approval)"
            )
        return self.deploy(package)

    def _health_check(
        self, server: ServeProcess, package: ModelPackage, body: bytes, content_type: str
    ) -> None:
        where = f"version {package.version} of {package.group}"
        try:
            response = self._client.post(
                f"{server.url}/invocations",
                content=body,
                headers={"Content-Type": content_type, "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise EndpointError(
                f"{where} started but its test invocation failed ({exc!r}); it was not switched "
                f"to. Server output:\n{server.stderr_tail()}"
            ) from None
        if response.status_code != 200:
            raise EndpointError(
                f"{where} started but answered its test invocation with {response.status_code}: "
                f"{server_error_message(response.content)}; it was not switched to, the serving "
                "model keeps serving. If its request format changed on purpose, deploy with "
                "check_compatibility=False; otherwise retrain or register a matching model."
            )
        try:
            predictions = orjson.loads(response.content)["predictions"]
            expected_rows = body.count(b"\n") or 1
            if len(predictions) != expected_rows:
                raise ValueError(f"{len(predictions)} predictions for {expected_rows} rows")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise EndpointError(
                f"{where} answered its test invocation with an unexpected body ({exc}); it was "
                "not switched to"
            ) from None

    def _retire(self, deployment: Deployment) -> None:
        """Let the old server finish what it is doing, then stop it."""
        self._proxy.wait_drained(deployment.server.url, self.drain_timeout)
        deployment.server.stop()

    # -- invoking ------------------------------------------------------------------------------
    def invoke(
        self,
        body: bytes | str,
        content_type: str = "text/csv",
        accept: str = "application/json",
    ) -> Invocation:
        """POST ``body`` to ``/invocations``; :class:`InvocationError` unless the answer is 2xx."""
        content = body.encode() if isinstance(body, str) else body
        try:
            response = self._client.post(
                f"{self.url}/invocations",
                content=content,
                headers={"Content-Type": content_type, "Accept": accept},
            )
        except httpx.HTTPError as exc:
            raise EndpointError(
                f"the local endpoint at {self.url} did not answer: {exc!r}"
            ) from None
        if not 200 <= response.status_code < 300:
            raise InvocationError(response.status_code, server_error_message(response.content))
        return Invocation(
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.content,
            headers={k.lower(): v for k, v in response.headers.items()},
        )

    def check_serving(self) -> None:
        """Raise :class:`EndpointError`, with the server's last output, when the deployed
        model's server has stopped on its own (a crash or an out-of-memory kill)."""
        deployment = self._active
        if deployment is not None and not deployment.server.is_running():
            raise EndpointError(
                f"the model server for version {deployment.package.version} of "
                f"{deployment.package.group} stopped unexpectedly; its last output:\n"
                f"{deployment.server.stderr_tail()}"
            )

    # -- stopping ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the proxy and the serving process (idempotent)."""
        with self._deploy_lock:
            self._proxy.stop()
            if self._active is not None:
                self._active.server.stop()
                self._active = None
            self._client.close()

    def __enter__(self) -> LocalEndpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _typical_request(model_dir: Path) -> bytes:
    try:
        return typical_row_csv(model_dir)
    except (OSError, ValueError, KeyError) as exc:  # SchemaError is a ValueError
        raise EndpointError(
            f"cannot build a test request from the bundle in {model_dir} ({exc}); its schema.json "
            "and transform.json must describe the same features: re-register a bundle from train"
        ) from None


def serve_in_foreground(endpoint: LocalEndpoint, stop: threading.Event | None = None) -> None:
    """Block until SIGINT/SIGTERM (or ``stop`` is set), then stop ``endpoint``: what
    ``orchestrator endpoint serve`` does after deploying. Signal handlers are installed only
    when called from the main thread, and the previous handlers are restored afterwards."""
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            endpoint.check_serving()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        endpoint.stop()
