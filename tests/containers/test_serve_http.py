"""The ``serve`` program over real HTTP on 127.0.0.1 (2 workers) with a binary XGBoost bundle:
every content type, every Accept, every error code, batch transform, metadata, EMF logs and
keep-alive latency (TCP_NODELAY)."""

from __future__ import annotations

import asyncio
import io
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from ml_containers.serve.worker import set_nodelay
from serve_helpers import BuiltBundle, ServerProcess, build_bundle, start_servers

CLASSES = ["malignant", "benign"]


# One xdist worker runs the whole module, so its servers start once (make test uses loadgroup).
pytestmark = pytest.mark.xdist_group("serve-http")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("bundle") / "model", "binary", "xgboost")


@pytest.fixture(scope="module")
def server(built: BuiltBundle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    (process,) = start_servers(
        [{"model_dir": built.directory, "log_dir": tmp_path_factory.mktemp("logs")}]
    )
    yield process
    assert process.stop() == 0


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


def _csv(rows: list[list[Any]]) -> bytes:
    return "".join(",".join("" if v is None else repr(v) for v in r) + "\n" for r in rows).encode()


def _npy(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array(rows, dtype=np.float64))
    return buffer.getvalue()


def _bodies(built: BuiltBundle, rows: list[list[Any]]) -> dict[str, bytes]:
    objects = [dict(zip(built.feature_names, r, strict=True)) for r in rows]
    return {
        "text/csv": _csv(rows),
        "text/csv; charset=utf-8": _csv(rows),
        "application/json": orjson.dumps({"instances": rows}),
        "application/json; charset=utf-8": orjson.dumps({"instances": objects}),
        "application/jsonlines": b"\n".join(orjson.dumps(o) for o in objects) + b"\n",
        "application/x-npy": _npy(rows),
    }


def _probabilities(response: httpx.Response) -> np.ndarray:
    """Class probabilities from any output format, in class order."""
    kind = response.headers["content-type"]
    if kind.startswith("text/csv"):
        lines = response.text.splitlines()
        parsed = [line.split(",") for line in lines]
        for cells in parsed:
            values = [float(v) for v in cells[1:]]
            assert cells[0] == CLASSES[int(np.argmax(values))]
        return np.array([[float(v) for v in cells[1:]] for cells in parsed])
    if kind.startswith("application/jsonlines"):
        predictions = [orjson.loads(line) for line in response.content.splitlines()]
    else:
        predictions = orjson.loads(response.content)["predictions"]
    for prediction in predictions:
        assert prediction["label"] == max(
            prediction["probabilities"], key=prediction["probabilities"].get
        )
    return np.array([[p["probabilities"][c] for c in CLASSES] for p in predictions])


def test_ping_and_execution_parameters(client: httpx.Client) -> None:
    ping = client.get("/ping")
    assert ping.status_code == 200
    parameters = client.get("/execution-parameters")
    assert parameters.status_code == 200
    assert parameters.json() == {
        "MaxConcurrentTransforms": 2,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 6,
    }


@pytest.mark.parametrize(
    "content_type",
    [
        "text/csv",
        "text/csv; charset=utf-8",
        "application/json",
        "application/json; charset=utf-8",
        "application/jsonlines",
        "application/x-npy",
    ],
)
@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "text/csv", "application/jsonlines"]
)
def test_every_content_type_and_accept_predicts_like_the_model(
    client: httpx.Client, built: BuiltBundle, content_type: str, accept: str | None
) -> None:
    rows = built.raw_rows[10:15]
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    response = client.post(
        "/invocations", content=_bodies(built, rows)[content_type], headers=headers
    )
    assert response.status_code == 200, response.text
    expected_type = {
        None: "application/json",
        "*/*": "application/json",
        "application/json": "application/json",
        "text/csv": "text/csv",
        "application/jsonlines": "application/jsonlines",
    }[accept]
    assert response.headers["content-type"].startswith(expected_type)
    np.testing.assert_allclose(_probabilities(response), built.expected(rows), rtol=1e-12)
    assert response.headers["x-model-id"] == "binary-xgboost"
    assert response.headers["x-model-version"] == "binary-xgboost"
    assert len(response.headers["x-request-id"]) >= 16
    assert float(response.headers["x-inference-ms"]) > 0


def test_json_body_carries_the_metadata(client: httpx.Client, built: BuiltBundle) -> None:
    response = client.post(
        "/invocations",
        content=_csv(built.raw_rows[:1]),
        headers={"Content-Type": "text/csv", "X-Request-Id": "trace-42.a"},
    )
    document = response.json()
    assert set(document) == {"predictions", "model", "request_id", "inference_ms"}
    assert document["model"] == {"id": "binary-xgboost", "version": "binary-xgboost"}
    assert document["request_id"] == "trace-42.a" == response.headers["x-request-id"]
    assert document["inference_ms"] == float(response.headers["x-inference-ms"]) > 0
    forged = client.post(
        "/invocations",
        content=_csv(built.raw_rows[:1]),
        headers={"Content-Type": "text/csv", "X-Request-Id": "x" * 500},
    )
    assert forged.headers["x-request-id"] != "x" * 500  # unsafe ids are replaced, not echoed


def test_missing_values_are_imputed_like_training(client: httpx.Client, built: BuiltBundle) -> None:
    rows = [list(r) for r in built.raw_rows[:2]]
    rows[0][5] = None
    rows[1][7] = None
    response = client.post("/invocations", content=_csv(rows), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200
    np.testing.assert_allclose(_probabilities(response), built.expected(rows), rtol=1e-12)


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == status and error["message"]
    return error


def test_415_406_and_400_errors(client: httpx.Client, built: BuiltBundle) -> None:
    row = _csv(built.raw_rows[:1])
    error = _error(
        client.post("/invocations", content=row, headers={"Content-Type": "text/xml"}), 415
    )
    assert "text/csv" in error["message"]
    _error(client.post("/invocations", content=row), 415)  # no Content-Type at all
    headers = {"Content-Type": "text/csv", "Accept": "text/html"}
    assert (
        "text/html"
        in _error(client.post("/invocations", content=row, headers=headers), 406)["message"]
    )
    csv = {"Content-Type": "text/csv"}
    short = _csv([built.raw_rows[0], built.raw_rows[1][:-1]])
    error = _error(client.post("/invocations", content=short, headers=csv), 400)
    assert (
        "row 2" in error["message"]
        and "expected 30" in error["message"]
        and "got 29" in error["message"]
    )
    bad = [list(built.raw_rows[0])]
    bad[0][3] = "n/a"
    error = _error(
        client.post("/invocations", content=_csv(bad).replace(b"'", b""), headers=csv), 400
    )
    assert error["column"] == built.feature_names[3] and error["row"] == 1
    assert "empty" in _error(client.post("/invocations", content=b"", headers=csv), 400)["message"]
    for value in ("nan", "inf"):
        cells = [repr(v) for v in built.raw_rows[0]]
        cells[0] = value  # column 0 is not nullable; inf is never allowed
        body = ",".join(cells).encode()
        assert _error(client.post("/invocations", content=body, headers=csv), 400)["row"] == 1
    garbage = client.post(
        "/invocations", content=b"\x00\xff" * 100, headers={"Content-Type": "application/x-npy"}
    )
    _error(garbage, 400)


def test_404_and_405(client: httpx.Client) -> None:
    _error(client.get("/predict"), 404)
    response = client.get("/invocations")
    _error(response, 405)
    assert response.headers["allow"] == "POST"
    _error(client.post("/ping", content=b"x"), 405)
    _error(client.delete("/execution-parameters"), 405)


def _raw_exchange(port: int, payload: bytes) -> tuple[bytes, bytes]:
    """Send raw bytes, read one response (head, body) by its Content-Length."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(payload)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before a response: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += sock.recv(65536)
    return head, body


def test_413_from_content_length_before_the_body_is_read(server: ServerProcess) -> None:
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        b"Content-Length: 7340032\r\n\r\n"  # 7 MB announced, not one byte sent
    )
    head, body = _raw_exchange(server.port, request)
    assert head.startswith(b"HTTP/1.1 413")
    assert orjson.loads(body)["error"]["code"] == 413


def test_413_reaches_a_client_that_sends_the_whole_body(client: httpx.Client) -> None:
    body = b"1," * (7 * 1024 * 1024 // 2)
    error = _error(
        client.post("/invocations", content=body, headers={"Content-Type": "text/csv"}), 413
    )
    assert "6 MB" in error["message"]
    assert client.get("/ping").status_code == 200  # the connection is still usable


def test_413_for_a_chunked_body_past_the_limit(server: ServerProcess) -> None:
    chunk = b"1," * 32768  # 64 KiB
    count = 6 * 16 + 1  # just past 6 MiB
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(count))
    request = (
        b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
    )
    head, body = _raw_exchange(server.port, request)
    assert head.startswith(b"HTTP/1.1 413")
    assert orjson.loads(body)["error"]["code"] == 413


def test_batch_of_1000_lines_gives_1000_lines_in_order(
    client: httpx.Client, built: BuiltBundle
) -> None:
    rows = (built.raw_rows * 2)[:1000]
    expected = built.expected(rows)
    for accept in ("text/csv", "application/jsonlines"):
        response = client.post(
            "/invocations",
            content=_csv(rows),
            headers={"Content-Type": "text/csv", "Accept": accept},
        )
        assert response.status_code == 200
        assert len(response.content.splitlines()) == 1000
        np.testing.assert_allclose(_probabilities(response), expected, rtol=1e-12)
    jsonl = b"\n".join(orjson.dumps(r) for r in rows) + b"\n"
    response = client.post(
        "/invocations",
        content=jsonl,
        headers={"Content-Type": "application/jsonlines", "Accept": "application/jsonlines"},
    )
    assert len(response.content.splitlines()) == 1000
    np.testing.assert_allclose(_probabilities(response), expected, rtol=1e-12)


def test_large_body_within_the_limit(client: httpx.Client, built: BuiltBundle) -> None:
    rows = (built.raw_rows * 20)[:10000]  # ~3.5 MB: decoded with pyarrow in the prediction thread
    response = client.post(
        "/invocations",
        content=_csv(rows),
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
    )
    assert response.status_code == 200
    np.testing.assert_allclose(_probabilities(response), built.expected(rows), rtol=1e-12)


def test_one_emf_line_per_request(
    server: ServerProcess, client: httpx.Client, built: BuiltBundle
) -> None:
    ids = {"ok": "emf-ok-1", "bad": "emf-bad-1"}
    client.post(
        "/invocations",
        content=_csv(built.raw_rows[:3]),
        headers={"Content-Type": "text/csv", "X-Request-Id": ids["ok"]},
    )
    client.post(
        "/invocations",
        content=b"1,2",
        headers={"Content-Type": "text/csv", "X-Request-Id": ids["bad"]},
    )
    deadline = time.monotonic() + 5
    events: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and len(events) < 2:
        lines = server.log_lines()
        parsed = [orjson.loads(line) for line in lines]  # every stdout line is one JSON document
        events = {e["RequestId"]: e for e in parsed if e.get("RequestId") in ids.values()}
        time.sleep(0.05)
    ok, bad = events[ids["ok"]], events[ids["bad"]]
    directive = ok["_aws"]["CloudWatchMetrics"][0]
    assert isinstance(ok["_aws"]["Timestamp"], int)
    assert directive["Namespace"] == "MLOps/Serving"
    assert directive["Dimensions"] == [["ModelId", "ModelVersion"]]
    names = {m["Name"] for m in directive["Metrics"]}
    assert {"Latency", "Rows"} <= names
    assert all(isinstance(ok[name], int | float) for name in names)
    assert (ok["Status"], ok["Rows"], ok["ClientErrors"], ok["ModelVersion"]) == (
        200,
        3,
        0,
        "binary-xgboost",
    )
    assert ok["Latency"] >= ok["InferenceLatency"] > 0
    assert (bad["Status"], bad["Rows"], bad["ClientErrors"]) == (400, 0, 1)
    assert "expected 30" in bad["Error"]


def test_keepalive_latency_shows_no_nagle_delay(client: httpx.Client, built: BuiltBundle) -> None:
    body = _csv(built.raw_rows[:1])
    headers = {"Content-Type": "text/csv"}
    client.post("/invocations", content=body, headers=headers)
    latencies = []
    for _ in range(50):  # one keep-alive connection (httpx reuses it)
        started = time.perf_counter()
        response = client.post("/invocations", content=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
    assert statistics.median(latencies) < 0.020  # Nagle + delayed ACK would add ~40 ms each


def test_set_nodelay_on_an_inherited_socket() -> None:
    """The exact case asyncio misses: gunicorn creates its listening socket without a proto
    (``socket.socket(AF_INET, SOCK_STREAM)``, proto 0), accepted sockets inherit proto 0, and
    asyncio only sets TCP_NODELAY when proto is IPPROTO_TCP."""

    async def scenario() -> tuple[int, int, bool]:
        inherited = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as gunicorn does
        inherited.bind(("127.0.0.1", 0))
        inherited.listen()
        assert inherited.proto == 0
        seen: dict[str, Any] = {}
        made = asyncio.Event()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen["before"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen["set"] = set_nodelay(transport)
                seen["after"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                made.set()

        loop = asyncio.get_running_loop()
        server = await loop.create_server(Probe, sock=inherited)
        port = inherited.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.wait_for(made.wait(), 5)
        writer.close()
        server.close()
        return seen["before"], seen["after"], seen["set"]

    before, after, applied = asyncio.run(scenario())
    assert before == 0 and after != 0 and applied


def test_model_dir_in_logs_dir_untouched(built: BuiltBundle) -> None:
    """Serving never writes into the model directory (it may be read-only in SageMaker)."""
    names = sorted(p.name for p in Path(built.directory).iterdir())
    assert names == ["manifest.json", "model.ubj", "schema.json", "transform.json"]
