"""Where a single-row request's time goes: microseconds per request for each stage of ``serve``,
and the whole request in process through uvicorn's own HTTP protocol, next to the bare-direct
server's app (the floor: the same framework, XGBoost's C call, no contract).

    .venv/bin/python -m benchmarks.request_cost [--model-dir DIR] [--requests N] [--json OUT]

Everything runs in this one process, on one core, without sockets: the HTTP stage feeds the raw
request bytes to uvicorn's ``HttpToolsProtocol`` (the protocol ``serve``'s worker uses) over a
transport that only collects the response, so the figures are the server's CPU and nothing
else. Each stage is timed on its own (best of several rounds of many calls; the machine is
shared, so the minimum is the least disturbed figure), and "glue" is what the end-to-end figure
leaves over after the stages: ASGI messages, headers, the app's own Python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import uvloop
from ml_containers.serve.app import ServingApp
from ml_containers.serve.config import parse_config
from ml_containers.serve.decoding import decode
from ml_containers.serve.model import load_served_model, quiet_overflow_warnings
from ml_containers.serve.negotiation import input_format, output_format
from ml_containers.serve.runner import PredictionRunner
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from .bare_server import BareApp, load_booster
from .fixtures import demo_bundle, demo_rows
from .serving_payloads import Encoding, Payload, load_rows, payload, rows_from_csv

Call = Callable[[], Any]


def best_us(call: Call, calls: int = 2000, rounds: int = 5) -> float:
    """Microseconds per call: the best of ``rounds`` rounds of ``calls`` calls."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


class _Transport:
    """Enough of an asyncio transport for uvicorn's protocol: keeps what it writes."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        return None

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None

    def set_write_buffer_limits(self, *args: Any, **kwargs: Any) -> None:
        return None


async def http_us(app: Any, request: bytes, requests: int, rounds: int = 5) -> float:
    """Microseconds per keep-alive request through uvicorn's httptools protocol."""
    config = Config(
        app,
        http="httptools",
        lifespan="off",
        access_log=False,
        server_header=False,
        proxy_headers=False,  # as serve's worker
    )
    config.load()
    protocol = HttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(_Transport())  # type: ignore[arg-type]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(requests):
            protocol.data_received(request)
            while not protocol.cycle.response_complete:
                await asyncio.sleep(0)
        best = min(best, (time.perf_counter() - start) / requests)
    return best * 1e6


async def _empty_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def request_bytes(sent: Payload) -> bytes:
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {sent.content_type}"
        f"\r\nAccept: {sent.accept}\r\nContent-Length: {len(sent.body)}\r\n\r\n"
    )
    return head.encode() + sent.body


def stage_costs(model_dir: Path, body: bytes, content_type: bytes) -> dict[str, float]:
    """Microseconds per request of each stage, timed on its own."""
    model = load_served_model(model_dir, None)
    fmt, charset = input_format(content_type)
    out = output_format(b"*/*")
    batch = decode(body, fmt, charset, model.layout)
    features = model.features(batch)
    predictor = model.bundle.predictor
    output = model.predict(batch)
    config = parse_config(["--model-dir", str(model_dir)], environ={})
    app = ServingApp(model, config, PredictionRunner(config.timeout_s))
    devnull = os.open(os.devnull, os.O_WRONLY)
    app.metrics._fd = devnull
    app.metrics._emit = lambda line: None  # type: ignore[method-assign]  # the write: below
    one_call = model.predict_body(body, fmt) is not None
    decode_us = best_us(lambda: decode(body, fmt, charset, model.layout))
    predict_us = best_us(lambda: model.predict(batch))
    costs = {
        "content-type dispatch": best_us(lambda: (input_format(content_type), output_format(None)))
    }
    if one_call:  # what serve runs for rows of plain numbers: decode + transform + trees in C
        costs["decode + transform + predict (one C call)"] = best_us(
            lambda: model.predict_body(body, fmt)
        )
        costs["  (general path: decode + validation)"] = decode_us
        costs["  (general path: transform + predict)"] = predict_us
    else:
        costs["decode + validation"] = decode_us
        # One C call (transform, trees, probabilities) for complete numeric rows when the trees
        # are compiled, else the two steps below it one after another.
        costs["transform + predict + probabilities"] = predict_us
    costs["  (separately: transform + finiteness)"] = best_us(lambda: model.features(batch))
    costs["  (separately: model call)"] = best_us(lambda: predictor(features))
    costs["encode"] = best_us(lambda: model.encoder.encode(output, out, "req-1", 0.1))
    costs["metrics (EMF line)"] = best_us(lambda: _metrics_line(app))
    app.business._fd = devnull
    costs["business metrics (counted, flushed per interval)"] = best_us(
        lambda: app.business.observe(output)
    )
    app.business.flush()
    costs["logging (write)"] = best_us(lambda: os.write(devnull, b"x" * 420 + b"\n"))
    os.close(devnull)
    return {name: round(max(value, 0.0), 2) for name, value in costs.items()}


def _metrics_line(app: ServingApp) -> None:
    app.metrics.invocation(
        status=200,
        latency_ms=0.2,
        inference_ms=0.1,
        rows=1,
        request_id="0123456789abcdef-00000001",
        content_type=b"text/csv",
        accept=None,
        error=None,
    )


def measure(model_dir: Path, encoding: Encoding, requests: int) -> dict[str, Any]:
    """One case (a single row as CSV or JSON): the stages of ours, and whole requests in
    process for ours, bare-direct and an app that does nothing (uvicorn alone)."""
    width = len(json.loads((model_dir / "manifest.json").read_text())["input_columns"])
    rows = load_rows(model_dir, rows_from_csv(demo_rows(), width)).take(1)
    ours, bare = payload("ours", encoding, rows), payload("bare-direct", encoding, rows)
    stages = stage_costs(model_dir, ours.body, ours.content_type.encode())
    quiet_overflow_warnings()
    model = load_served_model(model_dir, None)
    config = parse_config(["--model-dir", str(model_dir)], environ={})
    app = ServingApp(model, config, PredictionRunner(config.timeout_s))
    devnull = os.open(os.devnull, os.O_WRONLY)
    app.metrics._fd = devnull
    app.business._fd = devnull
    bare_app = BareApp(load_booster(str(model_dir / "model.ubj")), "direct")
    loop = uvloop.new_event_loop()  # as serve's worker
    try:
        whole = {
            "ours": loop.run_until_complete(http_us(app, request_bytes(ours), requests)),
            "bare-direct": loop.run_until_complete(
                http_us(bare_app, request_bytes(bare), requests)
            ),
            "uvicorn alone (empty app)": loop.run_until_complete(
                http_us(_empty_app, request_bytes(bare), requests)
            ),
        }
    finally:
        loop.close()
        app.business.flush()  # the counts go to /dev/null, not to stdout at exit
        os.close(devnull)
    http = whole["uvicorn alone (empty app)"]
    stages = {"HTTP parse + response (uvicorn)": round(http, 2), **stages}
    counted = sum(value for name, value in stages.items() if not name.startswith(" "))
    stages["glue (ASGI messages, headers, app)"] = round(max(whole["ours"] - counted, 0.0), 2)
    return {
        "case": f"{encoding}-1row",
        "predictor": model.predictor_description,
        "stages_us": stages,
        "whole_request_us": {name: round(value, 2) for name, value in whole.items()},
        "ours_over_bare_direct_time": round(whole["ours"] / whole["bare-direct"], 3),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['case']} (predictor: {result['predictor']})"]
    lines += [f"  {name:<40} {value:8.2f} µs" for name, value in result["stages_us"].items()]
    lines.append("  whole request in process:")
    lines += [
        f"    {name:<38} {value:8.2f} µs" for name, value in result["whole_request_us"].items()
    ]
    lines.append(f"  ours / bare-direct time: {result['ours_over_bare_direct_time']:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.request_cost")
    parser.add_argument("--model-dir", type=Path, help="a bundle (default: the demo bundle)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per timed round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    model_dir = args.model_dir or demo_bundle()
    results = [measure(model_dir, encoding, args.requests) for encoding in ("csv", "json")]
    for result in results:
        print(render(result))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
