"""Data capture in ``serve`` (issue 19): SageMaker's data-capture JSON Lines, read back by the
monitor's own reader; sampling (0% writes nothing), rotation per hour, the buffer's timer and
exit flushes, and bad settings refused with exit 2. The real server is used where the worker's
event loop and shutdown matter."""

from __future__ import annotations

import base64
import io
import json
import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from ml_containers.monitor.captured import capture_files, read_window
from ml_containers.serve.capture import (
    CaptureConfigError,
    CaptureSettings,
    DataCapture,
    capture_record,
)

from tests.containers.serve_helpers import SERVE, ServerProcess, build_bundle

pytestmark = pytest.mark.xdist_group("serve-capture")
WHEN = datetime(2026, 12, 5, 10, 59, 59, 950000, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def capture(folder: Path, percent: float = 100, clock: Clock | None = None) -> DataCapture:
    settings = CaptureSettings(folder, percent, "my-endpoint", "AllTraffic")
    return DataCapture(settings, clock or Clock(WHEN), random.Random(1))


def test_a_record_is_sagemakers_format_and_reads_back(tmp_path: Path) -> None:
    writer = capture(tmp_path)
    answer = {"predictions": [{"label": "yes", "probabilities": {"no": 0.25, "yes": 0.75}}]}
    writer.record(b"text/csv", b"1.5,north", b"application/json", json.dumps(answer).encode())
    writer.flush()
    [path] = capture_files(tmp_path)
    assert path.parent == tmp_path / "my-endpoint/AllTraffic/2026/12/05/10"
    assert path.name.startswith("59-59-950-") and path.suffix == ".jsonl"
    record = json.loads(path.read_text())
    assert record["eventVersion"] == "0"
    assert record["eventMetadata"]["inferenceTime"] == "2026-12-05T10:59:59.950Z"
    assert len(record["eventMetadata"]["eventId"]) == 36  # a UUID, as SageMaker's
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": "1.5,north",
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"]["encoding"] == "JSON"
    window = read_window([path], ["spend", "region"], ["_prediction", "_score"])
    assert window.rows == 1 and window.undecodable == 0
    assert window.columns == {
        "spend": ["1.5"], "region": ["north"], "_prediction": ["yes"], "_score": [0.75]
    }  # fmt: skip


def test_binary_bodies_are_base64_and_every_request_format_reads_back(tmp_path: Path) -> None:
    writer = capture(tmp_path)
    npy = io.BytesIO()
    np.save(npy, np.array([[1.0, 2.0], [3.0, 4.0]]))
    csv_answer = b"1.5\n2.5\n"
    writer.record(b"application/x-npy", npy.getvalue(), b"text/csv; charset=utf-8", csv_answer)
    body = json.dumps({"instances": [[5, 6], {"a": 7, "b": 8}]}).encode()
    writer.record(
        b"application/json", body, b"application/jsonlines", b'{"value":1}\n{"value":2}\n'
    )
    writer.record(b"application/jsonlines", b"[9,10]\n", b"application/jsonlines", b'{"value":3}\n')
    writer.flush()
    [path] = capture_files(tmp_path)
    first = json.loads(path.read_text().splitlines()[0])["captureData"]["endpointInput"]
    assert first["encoding"] == "BASE64"
    assert base64.b64decode(first["data"]) == npy.getvalue()
    window = read_window([path], ["a", "b"], ["_prediction"])
    assert window.rows == 5
    assert window.columns["a"] == [1.0, 3.0, 5, 7, 9]
    assert window.columns["_prediction"] == [1.5, 2.5, 1, 2, 3]


def test_files_rotate_at_the_hour(tmp_path: Path) -> None:
    clock = Clock(WHEN)
    writer = capture(tmp_path, clock=clock)
    writer.record(b"text/csv", b"1", b"text/csv", b"1\n")
    clock.now = WHEN + timedelta(milliseconds=100)  # 11:00:00.050
    writer.record(b"text/csv", b"2", b"text/csv", b"2\n")
    writer.flush()
    files = capture_files(tmp_path)
    assert [p.parent.name for p in files] == ["10", "11"]
    assert [len(p.read_text().splitlines()) for p in files] == [1, 1]
    start = datetime(2026, 12, 5, 11, tzinfo=UTC)
    assert read_window(files, ["x"], ["_prediction"], start=start).columns["x"] == ["2"]


def test_sampling_keeps_about_its_percentage_and_zero_is_off(tmp_path: Path) -> None:
    writer = capture(tmp_path, percent=30)
    for _ in range(2000):
        writer.record(b"text/csv", b"1", b"text/csv", b"1\n")
    writer.flush()
    assert 500 <= writer.captured <= 700
    [path] = capture_files(tmp_path)
    assert len(path.read_text().splitlines()) == writer.captured
    assert (
        CaptureSettings.from_environ({"DATA_CAPTURE_DIR": "/x", "DATA_CAPTURE_PERCENT": "0"})
        is None
    )
    assert CaptureSettings.from_environ({"DATA_CAPTURE_PERCENT": "100"}) is None  # no folder


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATA_CAPTURE_PERCENT", "lots", "DATA_CAPTURE_PERCENT must be 0-100"),
        ("DATA_CAPTURE_PERCENT", "101", "DATA_CAPTURE_PERCENT must be 0-100"),
        ("DATA_CAPTURE_ENDPOINT", "a/b", "DATA_CAPTURE_ENDPOINT must be a plain name"),
        ("DATA_CAPTURE_VARIANT", "..", "DATA_CAPTURE_VARIANT must be a plain name"),
    ],
)
def test_bad_settings_are_refused_by_name(variable: str, value: str, expected: str) -> None:
    with pytest.raises(CaptureConfigError, match=expected):
        CaptureSettings.from_environ({"DATA_CAPTURE_DIR": "/x", variable: value})


def test_capture_record_keeps_undecodable_text_as_base64() -> None:
    record = capture_record("text/csv", b"\xff\xfe", "application/json", b"{}", WHEN)
    assert record["captureData"]["endpointInput"]["encoding"] == "BASE64"


# -- the real server -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("capture-bundle") / "model").directory


def _rows(count: int) -> list[str]:
    from sklearn import datasets

    data = datasets.load_breast_cancer().data[:count]
    return [",".join(repr(float(v)) for v in row) for row in data]


def test_the_server_captures_answered_requests_on_a_timer_and_at_shutdown(
    tmp_path: Path, bundle_dir: Path
) -> None:
    folder = tmp_path / "capture"
    env = {"DATA_CAPTURE_DIR": str(folder), "DATA_CAPTURE_PERCENT": "100"}
    server = ServerProcess(bundle_dir, tmp_path / "logs", workers=1, env=env).wait_ready()
    try:
        with httpx.Client(timeout=10) as client:
            for row in _rows(20):
                answer = client.post(f"{server.url}/invocations", content=row,
                                     headers={"Content-Type": "text/csv"})  # fmt: skip
                assert answer.status_code == 200
            refused = client.post(f"{server.url}/invocations", content=b"not,numbers",
                                  headers={"Content-Type": "text/csv"})  # fmt: skip
            assert refused.status_code == 400  # refused requests are not captured
            # The buffer's timer appends within about a second, the server still running.
            deadline = datetime.now(UTC) + timedelta(seconds=10)
            while datetime.now(UTC) < deadline and not capture_files(folder):
                subprocess.run(["sleep", "0.2"], check=True)
            [path] = capture_files(folder)
            assert len(path.read_text().splitlines()) == 20
            assert path.relative_to(folder).parts[:2] == ("local", "AllTraffic")
            for row in _rows(5):
                client.post(f"{server.url}/invocations", content=row,
                            headers={"Content-Type": "text/csv"})  # fmt: skip
    finally:
        assert server.stop() == 0  # at once: well within the buffer's one second
    # The last five were still buffered: the worker appended them as it stopped.
    assert sum(len(p.read_text().splitlines()) for p in capture_files(folder)) == 25


def test_zero_percent_writes_nothing(tmp_path: Path, bundle_dir: Path) -> None:
    folder = tmp_path / "capture"
    env = {"DATA_CAPTURE_DIR": str(folder), "DATA_CAPTURE_PERCENT": "0"}
    server = ServerProcess(bundle_dir, tmp_path / "logs", workers=1, env=env).wait_ready()
    with httpx.Client(timeout=10) as client:
        for row in _rows(10):
            client.post(f"{server.url}/invocations", content=row,
                        headers={"Content-Type": "text/csv"})  # fmt: skip
    assert server.stop() == 0
    assert not folder.exists()


def test_serve_refuses_a_bad_capture_setting_with_exit_2(bundle_dir: Path) -> None:
    done = subprocess.run(
        [SERVE, "--model-dir", str(bundle_dir)],
        env={"DATA_CAPTURE_DIR": "/tmp/x", "DATA_CAPTURE_PERCENT": "half", "PATH": "/usr/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "DATA_CAPTURE_PERCENT must be 0-100" in done.stderr and "Traceback" not in done.stderr


def test_a_window_past_max_rows_is_judged_on_a_uniform_sample(tmp_path: Path) -> None:
    writer = capture(tmp_path)
    for number in range(1000):
        writer.record(b"text/csv", str(number).encode(), b"text/csv", b"1\n")
    writer.flush()
    window = read_window(capture_files(tmp_path), ["x"], ["_prediction"], max_rows=100)
    assert (window.rows, window.rows_seen) == (100, 1000)
    kept = [int(v) for v in window.columns["x"]]
    assert len(set(kept)) == 100 and len(window.columns["_prediction"]) == 100
    assert 300 < sum(kept) / 100 < 700  # from the whole window, not its first rows
