"""In-process tests of the ASGI app and the prediction runner: a model failure is a logged 500
with a JSON body, a hung prediction is cut by the timeout and never blocks later requests, and
stuck threads piling up ask for the worker to be replaced."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from ml_containers.serve.app import ServingApp
from ml_containers.serve.config import parse_config
from ml_containers.serve.errors import HttpError
from ml_containers.serve.model import load_served_model
from ml_containers.serve.runner import PredictionRunner
from serve_helpers import BuiltBundle, build_bundle


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "model", "binary", "xgboost")


def _app(built: BuiltBundle, log: Path, timeout: float = 5.0) -> ServingApp:
    config = parse_config(["--model-dir", str(built.directory), "--timeout", str(timeout)], {})
    model = load_served_model(config.model_dir, None)
    app = ServingApp(model, config, PredictionRunner(config.timeout_s))
    app.metrics._fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    return app


async def _post(app: ServingApp, body: bytes, content_type: bytes = b"text/csv") -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/invocations",
        "headers": [(b"content-type", content_type)],
    }
    await app(scope, receive, send)
    start, payload = sent
    return {"status": start["status"], "headers": dict(start["headers"]), "body": payload["body"]}


def _row(built: BuiltBundle) -> bytes:
    return ",".join(map(repr, built.raw_rows[0])).encode()


def test_a_model_failure_is_a_logged_json_500(
    built: BuiltBundle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(built, tmp_path / "emf.log")

    def explode(features: Any) -> Any:
        raise RuntimeError("the model library crashed")

    app.model.bundle._predict = explode
    response = asyncio.run(_post(app, _row(built)))
    assert response["status"] == 500
    assert response["headers"][b"content-type"] == b"application/json"
    error = orjson.loads(response["body"])["error"]
    assert error["code"] == 500 and "server log" in error["message"]
    assert "the model library crashed" in caplog.text  # the traceback goes to the server log
    event = orjson.loads((tmp_path / "emf.log").read_bytes().splitlines()[-1])
    assert event["Status"] == 500 and event["ServerErrors"] == 1


def test_a_slow_model_times_out_with_504_and_the_app_keeps_serving(
    built: BuiltBundle, tmp_path: Path
) -> None:
    app = _app(built, tmp_path / "emf.log", timeout=0.2)
    release = threading.Event()
    real = app.model.bundle._predict

    def hang_once(features: Any) -> Any:
        if not release.is_set():
            release.wait(10)  # a prediction that hangs until the test lets it go
        return real(features)

    app.model.bundle._predict = hang_once
    app.model.runs_inline = lambda rows, timeout: False  # type: ignore[method-assign]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], float]:
        first = await _post(app, _row(built))
        release.set()
        started = time.perf_counter()
        second = await _post(app, _row(built))
        return first, second, time.perf_counter() - started

    first, second, elapsed = asyncio.run(scenario())
    assert first["status"] == 504
    assert "timeout" in orjson.loads(first["body"])["error"]["message"]
    assert second["status"] == 200 and elapsed < 0.2


def test_runner_abandons_a_stuck_thread() -> None:
    exhausted: list[int] = []
    runner = PredictionRunner(0.05, on_exhausted=lambda: exhausted.append(1), max_abandoned=2)
    gate = threading.Event()

    async def scenario() -> list[Any]:
        results: list[Any] = []
        try:
            await runner.run(gate.wait, 5)
        except HttpError as error:
            results.append(error.status)
        results.append(await runner.run(lambda: "after"))  # not queued behind the stuck job
        return results

    assert asyncio.run(scenario()) == [504, "after"]
    assert runner.abandoned_alive == 1 and not exhausted

    async def hang_again() -> None:
        with pytest.raises(HttpError):
            await runner.run(gate.wait, 5)

    asyncio.run(hang_again())
    assert runner.abandoned_alive == 2 and exhausted == [1]  # the worker asks to be replaced
    gate.set()


def test_coalescing_transport_sends_one_write_per_loop_iteration() -> None:
    """Headers and body written back to back leave in one write; close flushes first."""
    from ml_containers.serve.worker import CoalescingTransport

    class Recorder(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[bytes] = []
            self.closed = False

        def write(self, data: Any) -> None:
            self.writes.append(bytes(data))

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        loop = asyncio.get_running_loop()
        first, second = Recorder(), Recorder()
        proxy = CoalescingTransport(first, loop)
        proxy.write(b"HTTP/1.1 200 OK\r\n\r\n")
        proxy.write(bytearray(b"body"))
        assert first.writes == []
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        proxy.write(b"next")
        await asyncio.sleep(0)
        closing = CoalescingTransport(second, loop)
        closing.write(b"last words")
        closing.close()
        assert second.closed and closing.is_closing()
        return first.writes, second.writes

    first_writes, second_writes = asyncio.run(scenario())
    assert first_writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]
    assert second_writes == [b"last words"]


def test_prediction_threads_see_the_numpy_error_state_of_their_creator() -> None:
    """Serving switches numpy's overflow warnings off once per worker thread; work moved to the
    prediction thread (large requests) must run with the same state as inline work."""
    import numpy as np

    with np.errstate(over="ignore"):
        runner = PredictionRunner(5.0)
    assert np.geterr()["over"] != "ignore"
    seen = asyncio.run(runner.run(np.geterr))
    assert seen["over"] == "ignore"


def test_emf_lines_of_one_loop_iteration_leave_in_one_whole_write(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ml_containers.serve import emf

    writes: list[bytes] = []
    monkeypatch.setattr(emf.os, "write", lambda fd, data: writes.append(bytes(data)))
    log = emf.MetricsLog("NS", "m", "v", fd=99)

    def line(number: int, error: str | None = None) -> None:
        log.record(
            method="POST",
            path="/invocations",
            status=200 if error is None else 400,
            latency_ms=1.0,
            inference_ms=0.5,
            rows=1,
            request_id=f"r{number}",
            error=error,
        )

    async def scenario() -> None:
        for number in range(3):
            line(number)
        assert writes == []  # held until the end of this loop iteration
        await asyncio.sleep(0)
        assert len(writes) == 1 and writes[0].count(b"\n") == 3
        for number in range(3, 40):  # ~400-byte lines: more than one atomic write's worth
            line(number, error="x" * 250)
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert all(len(w) <= emf._ATOMIC_WRITE and w.endswith(b"\n") for w in writes)
    ids = [orjson.loads(v)["RequestId"] for w in writes for v in w.splitlines()]
    assert ids == [f"r{number}" for number in range(40)]  # every line, whole and in order
    line(40)  # outside an event loop: written at once
    assert orjson.loads(writes[-1])["RequestId"] == "r40"
