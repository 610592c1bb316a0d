"""`serve` in the built image as an endpoint runs it: root, the model in /opt/ml/model, port 8080
published on 127.0.0.1 only; /ping, then CSV rows to /invocations, then a graceful stop."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from image_runtime_support import ImageRunner

pytestmark = [pytest.mark.xdist_group("container-image"), pytest.mark.slow]
READY_TIMEOUT_S = 90
ROWS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_ping(url: str, engine: str, name: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    logs = subprocess.run([engine, "logs", name], capture_output=True, text=True, check=False)
    pytest.fail(f"no 200 from {url} in {READY_TIMEOUT_S} s\n{logs.stdout}\n{logs.stderr}")


def _invoke(url: str, rows: list[str]) -> tuple[list[str], str]:
    request = urllib.request.Request(
        url,
        data=("\n".join(rows) + "\n").encode(),
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read().decode().splitlines(), response.headers["X-Output-Columns"]


def test_serve_as_root_answers_ping_and_invocations(
    built_image: ImageRunner, trained, preprocessed
):
    opt_ml, _ = trained
    outputs, _ = preprocessed
    engine, name, port = built_image.executable, f"serve-{uuid.uuid4().hex[:8]}", _free_port()
    command = built_image.command(
        ["serve"],
        mounts={opt_ml / "model": "/opt/ml/model:ro"},
        options=["-d", "--name", name, "-p", f"127.0.0.1:{port}:8080"],
    )
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    try:
        _wait_for_ping(f"http://127.0.0.1:{port}/ping", engine, name)
        rows = (outputs / "batch" / "batch.csv").read_text().splitlines()[:ROWS]
        labels = (outputs / "batch" / "labels.csv").read_text().splitlines()[:ROWS]
        lines, columns = _invoke(f"http://127.0.0.1:{port}/invocations", rows)
        assert columns == "label,p_benign,p_malignant"
        predicted = [line.split(",")[0] for line in lines]
        assert len(predicted) == len(rows)
        assert sum(p == t for p, t in zip(predicted, labels, strict=True)) >= 0.9 * len(rows)
        subprocess.run([engine, "stop", "-t", "30", name], capture_output=True, check=True)
        code = subprocess.run(
            [engine, "inspect", "--format", "{{.State.ExitCode}}", name],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        assert code == "0", "serve did not stop gracefully on SIGTERM"
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, check=False)


def test_the_model_mount_stays_unwritten(trained):
    """serve ran with /opt/ml/model read-only: the directory holds what train wrote, no more."""
    opt_ml, _ = trained
    assert sorted(p.name for p in (opt_ml / "model").iterdir()) == sorted(
        ["manifest.json", "model.ubj", "schema.json", "transform.json"]
    )
    assert not list(Path(opt_ml / "model").glob("*.tar.gz"))
