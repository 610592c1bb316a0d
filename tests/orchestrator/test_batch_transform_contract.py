"""Batch transform's contract with any model server (chunking, order under concurrency, one line
out per line in, atomic output, flat memory), checked against a small HTTP server written here
whose answers are easy to predict: each record comes back as ``<sum of its fields>,<record>``.
The same behaviour against the real ``serve`` program is in ``test_batch_transform.py``."""

from __future__ import annotations

import random
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from orchestrator.backends.local.batch_settings import DataProcessing
from orchestrator.backends.local.batch_transform import run_batch_transform
from orchestrator.backends.local.serving_errors import BatchTransformError


class _SummingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[int] = []  # records per request
        self.sizes: list[int] = []  # body bytes per request
        self.most_in_flight = 0
        self.parameters: dict[str, object] = {"MaxConcurrentTransforms": 3, "MaxPayloadInMB": 6}
        self._in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)

    def leave(self, records: int, size: int) -> None:
        with self._lock:
            self._in_flight -= 1
            self.requests.append(records)
            self.sizes.append(size)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _SummingServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/execution-parameters":
            body = orjson.dumps(self.server.parameters)
            self._reply(200, body, "application/json")
        else:
            self._reply(404, b'{"error": {"code": 404, "message": "no such path"}}', "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        lines = body.decode().splitlines()
        self.server.enter()
        time.sleep(random.uniform(0, 0.01))  # answers finish out of order under concurrency
        try:
            if any("BAD" in line for line in lines):
                message = b'{"error": {"code": 400, "message": "row 1: cannot parse BAD"}}'
                self._reply(400, message, "application/json")
                return
            out = [f"{sum(float(v) for v in line.split(',')[1:]):g},{line}" for line in lines]
            if any("DROP" in line for line in lines):
                out = out[:-1]
            self._reply(200, ("\n".join(out) + "\n").encode(), "text/csv")
        finally:
            self.server.leave(len(lines), len(body))


@pytest.fixture
def server() -> Iterator[_SummingServer]:
    instance = _SummingServer()
    thread = threading.Thread(target=instance.serve_forever, daemon=True)
    thread.start()
    yield instance
    instance.shutdown()
    instance.server_close()


def _write_input(path: Path, rows: int, *, extra: dict[int, str] | None = None) -> list[str]:
    lines = [f"id-{i},{i},{i % 7},{(i * 13) % 5}.5" for i in range(rows)]
    for index, text in (extra or {}).items():
        lines[index] = text
    path.write_text("\n".join(lines) + "\n")
    return lines


def _expected(line: str) -> str:
    return f"{sum(float(v) for v in line.split(',')[1:]):g},{line}"


def test_chunks_respect_the_payload_limit_and_output_keeps_input_order(
    tmp_path: Path, server: _SummingServer
) -> None:
    lines = _write_input(tmp_path / "in.csv", 2000)
    result = run_batch_transform(
        tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url, max_payload_mb=0.01
    )
    out = (tmp_path / "out.csv").read_text().splitlines()
    assert out == [_expected(line) for line in lines]
    assert result.records == 2000
    assert result.requests == len(server.requests) > 1
    assert sum(server.requests) == 2000
    limit = int(0.01 * 1024 * 1024)
    longest_line = max(len(line) + 1 for line in lines)
    assert max(server.sizes) <= limit
    # Every request but the last was as full as allowed: one more record would overflow it.
    assert min(sorted(server.sizes)[1:]) > limit - longest_line
    # The concurrency came from the server's /execution-parameters (3) and was used.
    assert result.max_concurrent_transforms == 3
    assert server.most_in_flight >= 2


def test_published_limits_that_are_not_numbers_are_named(
    tmp_path: Path, server: _SummingServer
) -> None:
    server.parameters = {"MaxConcurrentTransforms": "three", "MaxPayloadInMB": 6}
    _write_input(tmp_path / "in.csv", 5)
    with pytest.raises(BatchTransformError, match="MaxConcurrentTransforms='three'"):
        run_batch_transform(tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url)
    assert not (tmp_path / "out.csv").exists()
    # A limit given by the caller needs nothing from the server.
    result = run_batch_transform(
        tmp_path / "in.csv",
        tmp_path / "out.csv",
        endpoint_url=server.url,
        max_concurrent_transforms=2,
    )
    assert (result.records, result.max_concurrent_transforms) == (5, 2)


def test_output_into_a_directory_is_named_like_sagemaker(
    tmp_path: Path, server: _SummingServer
) -> None:
    _write_input(tmp_path / "batch.csv", 5)
    (tmp_path / "out").mkdir()
    result = run_batch_transform(tmp_path / "batch.csv", tmp_path / "out", endpoint_url=server.url)
    assert result.output_path == tmp_path / "out" / "batch.csv.out"
    assert len(result.output_path.read_text().splitlines()) == 5


def test_input_filter_join_and_output_filter(tmp_path: Path, server: _SummingServer) -> None:
    lines = _write_input(tmp_path / "in.csv", 50)
    run_batch_transform(
        tmp_path / "in.csv",
        tmp_path / "out.csv",
        endpoint_url=server.url,
        data_processing=DataProcessing(
            input_filter="$[1:]", join_source="Input", output_filter="$[0,4]"
        ),
    )
    # The server saw records without the ID; the joined record is input + output fields, and
    # the OutputFilter keeps the ID (field 0) and the prediction (field 4: first output field).
    out = (tmp_path / "out.csv").read_text().splitlines()
    expected = []
    for line in lines:
        sent = ",".join(line.split(",")[1:])
        prediction = _expected(sent).split(",")[0]  # what the server answers for `sent`
        expected.append(f"{line.split(',')[0]},{prediction}")
    assert out == expected


def test_quoted_csv_fields_survive_the_filters(tmp_path: Path, server: _SummingServer) -> None:
    (tmp_path / "in.csv").write_text('"Smith, J",1,2\n"O\'Neil",3,4\n')
    run_batch_transform(
        tmp_path / "in.csv",
        tmp_path / "out.csv",
        endpoint_url=server.url,
        data_processing=DataProcessing(
            input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]"
        ),
    )
    # Output fields of the echo server are "<sum>,<sent record>": the last is the last sent value.
    assert (tmp_path / "out.csv").read_text() == '"Smith, J",2\nO\'Neil,4\n'


def test_a_short_answer_is_an_error_and_leaves_no_output(
    tmp_path: Path, server: _SummingServer
) -> None:
    _write_input(tmp_path / "in.csv", 300, extra={150: "DROP,1,2,3"})
    with pytest.raises(BatchTransformError, match=r"returned \d+ lines for the \d+ records on"):
        run_batch_transform(
            tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url, max_payload_mb=0.001
        )
    assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]  # no output, no temp file


def test_a_rejected_chunk_names_its_lines_and_the_server_message(
    tmp_path: Path, server: _SummingServer
) -> None:
    _write_input(tmp_path / "in.csv", 10, extra={6: "BAD,1,2,3"})
    with pytest.raises(BatchTransformError, match=r"400 for lines 1-10: row 1: cannot parse BAD"):
        run_batch_transform(tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url)
    assert not (tmp_path / "out.csv").exists()


def test_blank_lines_and_oversized_records_are_refused(
    tmp_path: Path, server: _SummingServer
) -> None:
    (tmp_path / "blank.csv").write_text("id,1,2\n\nid,3,4\n")
    with pytest.raises(BatchTransformError, match="line 2 of the input is blank"):
        run_batch_transform(tmp_path / "blank.csv", tmp_path / "o.csv", endpoint_url=server.url)
    (tmp_path / "wide.csv").write_text("id," + ",".join(["1"] * 2000) + "\n")
    with pytest.raises(BatchTransformError, match="record on line 1 is 4003 bytes"):
        run_batch_transform(
            tmp_path / "wide.csv", tmp_path / "o.csv", endpoint_url=server.url, max_payload_mb=0.001
        )
    assert not (tmp_path / "o.csv").exists()


def test_memory_stays_flat_as_the_input_grows(tmp_path: Path, server: _SummingServer) -> None:
    wide = ",".join(["12345.678"] * 12)  # ~130-byte records
    peaks, sizes = [], []
    for rows in (5_000, 40_000):
        path = tmp_path / f"in{rows}.csv"
        with open(path, "w") as handle:
            handle.writelines(f"id-{i},{wide}\n" for i in range(rows))
        sizes.append(path.stat().st_size)
        tracemalloc.start()
        run_batch_transform(
            path,
            tmp_path / f"out{rows}.csv",
            endpoint_url=server.url,
            max_payload_mb=0.05,
            max_concurrent_transforms=2,
        )
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        with open(tmp_path / f"out{rows}.csv") as output:
            assert sum(1 for _ in output) == rows
    # The peak (which includes this in-process test server) is a small fraction of a ~5 MB input
    # and does not grow with it; reading the input whole would cost at least its size.
    assert sizes[1] > 5_000_000
    assert peaks[1] < sizes[1] / 4, (peaks, sizes)
    assert peaks[1] < 2 * peaks[0], (peaks, sizes)
