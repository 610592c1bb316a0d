"""MLflow's scoring server as a benchmark peer: its own virtualenv (pinned MLflow, created on
first use under ``benchmarks/.work``), the model logged with the xgboost flavor into a local
sqlite tracking store, and ``mlflow models serve --env-manager local`` on 127.0.0.1.

Offline and fair: telemetry off, the same worker count as ``serve``, and TCP_NODELAY on its
uvicorn workers (see ``peer_nodelay/sitecustomize.py``), which the results say.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .common import WORK, BenchmarkError, run_checked
from .servers import ManagedServer, free_port

MLFLOW_VERSION = "3.17.2"  # mlflow 3.18.0's own mlflow-skinny is not on PyPI yet
XGBOOST_REQUIREMENT = "xgboost-cpu==3.2.0"  # the same XGBoost as the project's venv
VENV = WORK / "mlflow-venv"
NODELAY_DIR = Path(__file__).resolve().parent / "peer_nodelay"
LOG_MODEL_SCRIPT = Path(__file__).resolve().parent / "mlflow_log_model.py"
OFFLINE_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ALLOW_FILE_STORE": "true",
    "DO_NOT_TRACK": "1",
}


def venv_python() -> Path:
    return VENV / "bin" / "python"


def installed_version() -> str | None:
    if not venv_python().exists():
        return None
    done = subprocess.run(
        [str(venv_python()), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **OFFLINE_ENV},
    )
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(allow_install: bool = True) -> Path:
    """The MLflow venv, created and filled from PyPI the first time (a few minutes)."""
    if installed_version() == MLFLOW_VERSION:
        return venv_python()
    if not allow_install:
        raise BenchmarkError(
            f"MLflow {MLFLOW_VERSION} is not installed in {VENV}; run `make bench` (or "
            "`.venv/bin/python -m benchmarks serving`) once with network access to PyPI"
        )
    print(f"installing MLflow {MLFLOW_VERSION} into {VENV} (first run only) ...", flush=True)
    if not venv_python().exists():
        run_checked([sys.executable, "-m", "venv", str(VENV)], "creating the MLflow virtualenv")
    run_checked(
        [
            str(venv_python()),
            "-m",
            "pip",
            "install",
            "-q",
            f"mlflow=={MLFLOW_VERSION}",
            XGBOOST_REQUIREMENT,
        ],
        "installing MLflow from PyPI (check network access to PyPI)",
    )
    return venv_python()


def log_model(model_file: Path, work_dir: Path) -> tuple[str, list[str]]:
    """Log ``model_file`` with the xgboost flavor; returns the model URI and feature names."""
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / "logged.json"
    tracking = f"sqlite:///{work_dir / 'mlflow.db'}"
    run_checked(
        [str(venv_python()), str(LOG_MODEL_SCRIPT), str(model_file), tracking, str(out)],
        "logging the model with MLflow",
        env=OFFLINE_ENV,
        cwd=work_dir,
    )
    logged = json.loads(out.read_text())
    return str(logged["model_uri"]), list(logged["feature_names"])


def start_mlflow_server(
    model_uri: str, work_dir: Path, workers: int, log_dir: Path
) -> ManagedServer:
    port = free_port()
    bin_dir = str(VENV / "bin")
    env = {
        **OFFLINE_ENV,
        "MLFLOW_TRACKING_URI": f"sqlite:///{work_dir / 'mlflow.db'}",
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",  # mlflow runs `uvicorn` from PATH
        "PYTHONPATH": str(NODELAY_DIR),
        "BENCH_PEER_NODELAY": "1",
        "OMP_NUM_THREADS": "1",  # one worker per core, like serve
    }
    command = [
        str(VENV / "bin" / "mlflow"),
        "models",
        "serve",
        "-m",
        model_uri,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-w",
        str(workers),
    ]
    return ManagedServer("mlflow", command, port, log_dir, env=env, cwd=work_dir)
