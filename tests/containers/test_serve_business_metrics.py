"""Business metrics of ``serve`` (issue #19): class counts, score buckets and rows per request,
aggregated per worker and written as CloudWatch EMF lines at most once per interval, dimensioned
by endpoint and variant. Each line is checked against the EMF specification's structure (every
metric and dimension a root member, dimension values strings, at most 100 metrics)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from ml_containers.serve import business
from ml_containers.serve.app import ServingApp
from ml_containers.serve.business import BusinessMetrics, BusinessSettings, business_settings
from ml_containers.serve.config import ConfigError, parse_config
from ml_containers.serve.model import load_served_model
from ml_containers.serve.runner import PredictionRunner
from serve_helpers import BuiltBundle, build_bundle

SETTINGS = BusinessSettings("ep", "AllTraffic", 60.0, None)


def _check_emf(event: dict[str, Any]) -> None:
    """The EMF specification's rules for one log event."""
    meta = event["_aws"]
    assert isinstance(meta["Timestamp"], int)
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"]
        assert 1 <= len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            assert all(isinstance(event[name], str) for name in dimension_set)
        assert all(isinstance(event[m["Name"]], int | float) for m in directive["Metrics"])


def _events(writes: list[bytes]) -> list[dict[str, Any]]:
    events = [orjson.loads(line) for w in writes for line in w.splitlines()]
    for event in events:
        _check_emf(event)
    return events


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    writes: list[bytes] = []
    monkeypatch.setattr(business.os, "write", lambda fd, data: writes.append(bytes(data)))
    return writes


def test_binary_counts_buckets_and_rows_in_one_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _capture(monkeypatch)
    metrics = BusinessMetrics("NS", SETTINGS, ["no", "yes"], fd=99, clock=lambda: 1000.0)
    metrics.observe(np.array([[0.95, 0.05]]))  # one row: the Python path
    metrics.observe(np.array([[0.3, 0.7], [0.2, 0.8], [0.35, 0.65]]))  # numpy path
    metrics.observe(np.array([[0.0, 1.0]]))  # the last edge belongs to the last bucket
    assert writes == []  # nothing per request
    metrics.flush()
    events = _events(writes)
    summary = events[0]
    assert (summary["EndpointName"], summary["VariantName"]) == ("ep", "AllTraffic")
    assert (summary["Requests"], summary["Rows"], summary["MaxRowsPerRequest"]) == (3, 5, 3)
    assert summary["RowsPerRequest"] == pytest.approx(5 / 3, abs=1e-3)
    assert summary["_aws"]["Timestamp"] == 1_000_000
    classes = {e["PredictedClass"]: e["Predictions"] for e in events if "PredictedClass" in e}
    assert classes == {"no": 1, "yes": 4}
    buckets = {e["ScoreBucket"]: e["ScoreCount"] for e in events if "ScoreBucket" in e}
    assert buckets == {"0-0.1": 1, "0.6-0.7": 1, "0.7-0.8": 1, "0.8-0.9": 1, "0.9-1": 1}
    dims = events[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert dims == [["EndpointName", "VariantName", "PredictedClass"]]
    writes.clear()
    metrics.flush()  # counted afresh: nothing new, nothing written
    assert writes == []


def test_multiclass_scores_the_winner_and_regression_needs_edges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes = _capture(monkeypatch)
    multi = BusinessMetrics("NS", SETTINGS, ["a", "b", "c"], fd=99)
    multi.observe(np.array([[0.2, 0.5, 0.3]]))
    multi.observe(np.array([[0.1, 0.1, 0.8], [0.6, 0.2, 0.2]]))
    assert multi.class_counts == [1, 1, 1]
    assert multi.bucket_counts[5] == 1 and multi.bucket_counts[6] == 1  # 0.5, 0.6
    assert multi.bucket_counts[8] == 1
    plain = BusinessMetrics("NS", SETTINGS, None, fd=99)
    plain.observe(np.array([3.0, 4.0]))
    plain.flush()
    assert [set(e) & {"Requests", "ScoreBucket"} for e in _events(writes)] == [{"Requests"}]
    writes.clear()
    edged = BusinessMetrics("NS", BusinessSettings("ep", "v", 60, (0.0, 10.0, 100.0)), None, 99)
    edged.observe(np.array([-5.0]))  # below the first edge: the first bucket
    edged.observe(np.array([5.0, 50.0, 500.0]))
    edged.flush()
    buckets = {e["ScoreBucket"]: e["ScoreCount"] for e in _events(writes) if "ScoreBucket" in e}
    assert buckets == {"0-10": 2, "10-100": 2}


def test_flushes_at_most_once_per_interval_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes = _capture(monkeypatch)
    metrics = BusinessMetrics("NS", BusinessSettings("e", "v", 0.05, None), ["n", "y"], fd=99)

    async def scenario() -> None:
        for _ in range(200):
            metrics.observe(np.array([[0.4, 0.6]]))
            await asyncio.sleep(0)
        assert writes == []
        await asyncio.sleep(0.12)
        assert len(writes) == 1  # one flush (one write of three lines) for 200 requests
        await asyncio.sleep(0.12)
        assert len(writes) == 1  # idle: no timer, nothing written

    asyncio.run(scenario())
    assert _events(writes)[0]["Requests"] == 200


def test_writes_are_whole_lines_within_pipe_buf(monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _capture(monkeypatch)
    classes = [f"class-{'x' * 60}-{n}" for n in range(40)]
    metrics = BusinessMetrics("NS", SETTINGS, classes, fd=99)
    metrics.observe(np.eye(40))
    metrics.flush()
    assert len(writes) > 1
    assert all(len(w) <= business._ATOMIC_WRITE and w.endswith(b"\n") for w in writes)
    assert sum(e.get("Predictions", 0) for e in _events(writes)) == 40


def test_settings_from_the_environment_and_refusals() -> None:
    assert business_settings({}) == BusinessSettings("local", "AllTraffic", 60.0, None)
    env = {"DATA_CAPTURE_ENDPOINT": "cap", "SERVE_VARIANT_NAME": "blue"}
    found = business_settings(env)
    assert (found.endpoint, found.variant) == ("cap", "blue")
    env = {"SERVE_ENDPOINT_NAME": "ep", "SERVE_SCORE_BUCKETS": "0, 5,10"}
    assert business_settings(env).edges == (0.0, 5.0, 10.0)
    for name, value in (
        ("SERVE_METRICS_INTERVAL", "0"),
        ("SERVE_METRICS_INTERVAL", "soon"),
        ("SERVE_SCORE_BUCKETS", "1,1"),
        ("SERVE_SCORE_BUCKETS", "0,x"),
        ("SERVE_SCORE_BUCKETS", "0"),
        ("SERVE_SCORE_BUCKETS", "0,inf"),
    ):
        with pytest.raises(ConfigError, match=name):
            parse_config(["--model-dir", "/nonexistent"], {name: value})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "model", "binary", "xgboost")


def test_the_app_counts_answered_requests_only(
    built: BuiltBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"SERVE_ENDPOINT_NAME": "shop-dev-endpoint", "SERVE_VARIANT_NAME": "AllTraffic"}
    config = parse_config(["--model-dir", str(built.directory)], env)
    app = ServingApp(load_served_model(config.model_dir, None), config, PredictionRunner(5.0))
    app.metrics._fd = os.open(tmp_path / "emf.log", os.O_WRONLY | os.O_CREAT)
    writes = _capture(monkeypatch)
    row = ",".join(map(repr, built.raw_rows[0])).encode()
    rows = b"\n".join(",".join(map(repr, r)).encode() for r in built.raw_rows[:7])

    async def post(body: bytes) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            return None

        scope = {"type": "http", "method": "POST", "path": "/invocations",
                 "headers": [(b"content-type", b"text/csv")]}  # fmt: skip
        await app(scope, receive, send)

    async def scenario() -> None:
        await post(row)
        await post(rows)
        await post(b"not,a,row")  # refused (400): no prediction to count

    asyncio.run(scenario())
    app.business.flush()
    # os.write is patched for every module: keep the business lines, not the per-request ones
    events = [e for e in _events(writes) if "EndpointName" in e]
    assert events[0]["EndpointName"] == "shop-dev-endpoint"
    assert (events[0]["Requests"], events[0]["Rows"]) == (2, 8)
    assert sum(e.get("Predictions", 0) for e in events) == 8
    assert sum(e.get("ScoreCount", 0) for e in events) == 8


@pytest.mark.slow
def test_a_real_server_flushes_on_its_timer_and_at_shutdown(
    built: BuiltBundle, tmp_path: Path
) -> None:
    import time

    import httpx
    from serve_helpers import ServerProcess

    env = {"SERVE_ENDPOINT_NAME": "ep", "SERVE_METRICS_INTERVAL": "1"}
    server = ServerProcess(built.directory, tmp_path, workers=1, env=env).wait_ready()
    row = ",".join(map(repr, built.raw_rows[0])).encode()
    try:
        for _ in range(5):
            answer = httpx.post(f"{server.url}/invocations", content=row,
                                headers={"Content-Type": "text/csv"})  # fmt: skip
            assert answer.status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _summaries(server.log_lines()):
            time.sleep(0.2)
        assert [s["Requests"] for s in _summaries(server.log_lines())] == [5]  # the timer
        httpx.post(f"{server.url}/invocations", content=row, headers={"Content-Type": "text/csv"})
    finally:
        server.stop()
    assert [s["Requests"] for s in _summaries(server.log_lines())] == [5, 1]  # at shutdown


def _summaries(lines: list[str]) -> list[dict[str, Any]]:
    events = [orjson.loads(line) for line in lines if line.startswith("{")]
    return [e for e in events if "Requests" in e and e.get("EndpointName") == "ep"]
