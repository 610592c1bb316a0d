"""One ``serve`` program running as a subprocess on 127.0.0.1, with bounded startup and shutdown.

The endpoint and batch transform run the very program SageMaker runs in the container, so what
is tested locally is what serves in production. Its output goes to log files, never to pipes
(a server logging one line per request would block once an unread pipe filled up), and the tail
of its stderr is put in the error when it fails to start, because that is where the reason is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from orchestrator.backends.local.serving_errors import EndpointError

LOOPBACK = "127.0.0.1"
STDERR_TAIL_CHARS = 2000


def serve_executable() -> list[str]:
    """The installed ``serve`` entry point: next to this interpreter first, then on PATH."""
    beside = Path(sys.executable).with_name("serve")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("serve")
    if found:
        return [found]
    raise EndpointError(
        "the serve program is not installed in this environment; run `make install` (it installs "
        "the containers package, which provides `serve`)"
    )


def free_port(host: str = LOOPBACK) -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ServeProcess:
    """A started ``serve`` subprocess; use :meth:`start`, then :attr:`url`, then :meth:`stop`."""

    def __init__(
        self, process: subprocess.Popen[bytes], port: int, log_dir: Path, host: str = LOOPBACK
    ) -> None:
        self.process = process
        self.port = port
        self.host = host
        self.log_dir = log_dir

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / "serve.stderr.log"

    @classmethod
    def start(
        cls,
        model_dir: Path,
        log_dir: Path,
        *,
        workers: int = 1,
        model_version: str | None = None,
        startup_timeout: float = 60.0,
        serve_command: Sequence[str] | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> ServeProcess:
        """Start ``serve`` on a free loopback port and return once ``/ping`` answers 200.

        Raises :class:`EndpointError` (with the server's stderr tail) if the process exits or
        does not become healthy within ``startup_timeout`` seconds; the process is then stopped.
        """
        log_dir = Path(log_dir)
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        command = [
            *(serve_command or serve_executable()),
            *("--port", str(port), "--host", LOOPBACK),
            *("--model-dir", str(model_dir), "--workers", str(workers)),
        ]
        env = {**os.environ, **(extra_env or {})}
        if model_version is not None:
            env["MODEL_VERSION"] = model_version
        with (
            open(log_dir / "serve.stdout.log", "ab") as stdout,
            open(log_dir / "serve.stderr.log", "ab") as stderr,
        ):
            stderr.write(f"--- starting: {' '.join(command)}\n".encode())
            stderr.flush()
            try:
                process = subprocess.Popen(
                    command,
                    stdout=stdout,
                    stderr=stderr,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,  # its own process group: stop() reaches its workers
                )
            except OSError as exc:
                raise EndpointError(
                    f"cannot start the serve program ({command[0]}): {exc}; check that "
                    "`make install` completed"
                ) from None
        server = cls(process, port, log_dir)
        offset = (log_dir / "serve.stderr.log").stat().st_size
        try:
            server._wait_until_healthy(startup_timeout, model_dir, offset)
        except BaseException:
            server.stop(grace_seconds=2.0)
            raise
        return server

    def _wait_until_healthy(self, timeout: float, model_dir: Path, log_offset: int) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise EndpointError(
                        f"the model server for {model_dir} exited with code {code} before it "
                        f"was ready; its last output:\n{self.stderr_tail(log_offset)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.url}/ping").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise EndpointError(
                        f"the model server for {model_dir} did not answer /ping with 200 within "
                        f"{timeout:.0f} s; raise the startup timeout for large models; its last "
                        f"output:\n{self.stderr_tail(log_offset)}"
                    )
                time.sleep(0.05)

    def stderr_tail(self, offset: int = 0) -> str:
        """The end of what the server wrote to stderr since ``offset`` (for error messages)."""
        try:
            with open(self.stderr_path, "rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return "(no server output captured)"
        text = text.strip()
        if len(text) > STDERR_TAIL_CHARS:
            text = "..." + text[-STDERR_TAIL_CHARS:]
        return text or "(the server wrote nothing to stderr)"

    def execution_parameters(self) -> dict[str, Any]:
        """The server's ``GET /execution-parameters`` (MaxPayloadInMB, MaxConcurrentTransforms)."""
        response = httpx.get(f"{self.url}/execution-parameters", timeout=10.0, trust_env=False)
        response.raise_for_status()
        return dict(response.json())

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop the server and its workers: SIGTERM (graceful), then SIGKILL after the grace."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10.0)
        # Workers that outlived their master would keep the port; the group is ours to reap.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
