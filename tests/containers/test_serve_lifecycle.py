"""The ``serve`` process's life: refusing to start without a loadable model or with bad
settings (exit codes 1 and 2, a clear message, the port never opened), configuration through
SageMaker's environment variables, and a real prediction timeout the worker survives."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from serve_helpers import SERVE, BuiltBundle, ServerProcess, build_bundle, free_port


def _run_serve(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SERVE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


# One xdist worker runs the whole module, so its servers start once (make test uses loadgroup).
pytestmark = pytest.mark.xdist_group("serve-lifecycle")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    # 400 full-depth trees (slow learning keeps them growing): predicting the 160,000-row
    # request below takes ~0.4 s on this machine, eight times the 50 ms test timeout.
    return build_bundle(
        tmp_path_factory.mktemp("slow") / "model",
        "binary",
        "xgboost",
        rounds=400,
        max_depth=10,
        xgboost_params={"eta": 0.01, "min_child_weight": 0, "lambda": 0},
    )


def test_missing_model_dir_exits_1_and_never_listens(tmp_path: Path) -> None:
    port = free_port()
    result = _run_serve(
        ["--port", str(port), "--host", "127.0.0.1", "--model-dir", str(tmp_path / "none")]
    )
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert _port_is_closed(port)


def test_broken_bundle_exits_1_with_the_reason(tmp_path: Path, built: BuiltBundle) -> None:
    broken = shutil.copytree(built.directory, tmp_path / "broken")
    (broken / "model.ubj").write_bytes(b"not a model")
    port = free_port()
    result = _run_serve(["--port", str(port), "--host", "127.0.0.1", "--model-dir", str(broken)])
    assert result.returncode == 1 and "cannot load the model bundle" in result.stderr
    assert "Traceback" not in result.stderr and _port_is_closed(port)
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["classes"] = ["a", "b", "c"]  # disagrees with the binary model's output
    (broken / "manifest.json").write_text(json.dumps(manifest))
    shutil.copy(built.directory / "model.ubj", broken / "model.ubj")
    result = _run_serve(["--port", str(port), "--host", "127.0.0.1", "--model-dir", str(broken)])
    assert result.returncode == 1 and "shape" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--workers", "0"], {}, "--workers"),
        (["--port", "http"], {}, "--port"),
        ([], {"SAGEMAKER_BIND_TO_PORT": "99999"}, "SAGEMAKER_BIND_TO_PORT"),
        ([], {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "-1"}, "SAGEMAKER_MODEL_SERVER_TIMEOUT"),
        ([], {"SAGEMAKER_MAX_PAYLOAD_IN_MB": "0"}, "SAGEMAKER_MAX_PAYLOAD_IN_MB"),
        (["--no-such-flag"], {}, "--no-such-flag"),
    ],
)
def test_bad_settings_exit_2(args: list[str], env: dict[str, str], named: str) -> None:
    result = _run_serve(args, env)
    assert result.returncode == 2
    assert named in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def env_server(
    built: BuiltBundle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """Configured only as SageMaker configures a container: environment and /opt/ml."""
    root = tmp_path_factory.mktemp("opt_ml")
    shutil.copytree(built.directory, root / "model")
    port = free_port()
    server = ServerProcess(
        model_dir=None,
        workers=None,
        log_dir=root / "logs",
        env={
            "OPT_ML_ROOT": str(root),
            "SAGEMAKER_BIND_TO_PORT": str(port),
            "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "0.05",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": "24",
            "MODEL_VERSION": "v7",
        },
        port=port,
    )
    yield server.wait_ready()
    assert server.stop() == 0


def _npy(rows: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, rows)
    return buffer.getvalue()


def test_environment_configuration(env_server: ServerProcess) -> None:
    parameters = httpx.get(f"{env_server.url}/execution-parameters").json()
    assert parameters == {
        "MaxConcurrentTransforms": 2,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 24,
    }
    ping = httpx.get(f"{env_server.url}/ping")
    assert (
        ping.headers["x-model-version"] == "v7" and ping.headers["x-model-id"] == "binary-xgboost"
    )


def test_a_slow_prediction_times_out_and_the_worker_keeps_serving(
    env_server: ServerProcess, built: BuiltBundle
) -> None:
    rows = np.array(built.raw_rows, dtype=np.float32)
    big = np.tile(rows, (282, 1))[:160000]  # 19.2 MB of float32
    headers = {"Content-Type": "application/x-npy"}
    with httpx.Client(base_url=env_server.url, timeout=60) as client:
        for _ in range(2):  # twice: both workers hit it at least once in most runs
            response = client.post("/invocations", content=_npy(big), headers=headers)
            assert response.status_code == 504, response.text
            error = response.json()["error"]
            assert error["code"] == 504 and "timeout" in error["message"]
        for count in (1, 50):
            small = client.post("/invocations", content=_npy(rows[:count]), headers=headers)
            assert small.status_code == 200
            assert len(small.json()["predictions"]) == count
        assert client.get("/ping").status_code == 200


def test_a_graceful_stop_loses_no_emf_line(built: BuiltBundle, tmp_path: Path) -> None:
    """SIGTERM right after the last answer must still leave one EMF line per request on
    stdout, in order (CloudWatch metrics come only from these lines)."""
    server = ServerProcess(
        model_dir=built.directory, workers=1, log_dir=tmp_path / "logs"
    ).wait_ready()
    row = ",".join(map(repr, built.raw_rows[0])).encode()
    ids = [f"stop-{number}" for number in range(20)]
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for request_id in ids:
                response = client.post(
                    "/invocations",
                    content=row,
                    headers={"Content-Type": "text/csv", "X-Request-Id": request_id},
                )
                assert response.status_code == 200
    finally:
        assert server.stop() == 0
    logged = [json.loads(line).get("RequestId") for line in server.log_lines()]
    assert [i for i in logged if i in ids] == ids
