"""The gunicorn application: an arbiter that binds the port and keeps ``workers`` processes
alive (restarting any that crash or hang), each loading the model and serving the ASGI app.

Each worker loads its own copy of the model after the fork, so no model state is shared across
processes. The CLI has already loaded it once in the arbiter to fail fast; with every native
thread pool pinned to one thread (see :mod:`.cli`) no pool threads exist there to be lost by
the fork.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from .app import ServingApp
from .config import ServeConfig
from .model import load_served_model, quiet_overflow_warnings
from .runner import PredictionRunner

# Settings only recent gunicorn versions know (the control socket arrived in 25.1; left on, it
# would put a Unix socket in $HOME and make two servers on one host collide).
_NEWER_SETTINGS = frozenset({"control_socket_disable"})


def build_app(config: ServeConfig) -> ServingApp:
    """Everything one worker process serves: the model, its prediction runner and the app.
    Runs in the worker's main thread before its event loop starts, so the loop inherits the
    numpy error state set here."""
    quiet_overflow_warnings()
    model = load_served_model(config.model_dir, config.model_version)
    return ServingApp(model, config, PredictionRunner(config.timeout_s))


def gunicorn_settings(config: ServeConfig) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "bind": [_bind_address(config.host, config.port)],
        "workers": config.workers,
        "worker_class": "ml_containers.serve.worker.ServingWorker",
        # The arbiter kills a worker whose event loop stops answering for this long; predictions
        # run off the loop with their own timeout, so this only catches a truly wedged worker.
        "timeout": max(30, math.ceil(config.timeout_s) + 30),
        "graceful_timeout": 20,
        "keepalive": max(1, math.ceil(config.keepalive_s)),
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "serve",
        "preload_app": False,
        "control_socket_disable": True,
    }
    if os.path.isdir("/dev/shm"):  # heartbeat files on tmpfs, as recommended for containers
        settings["worker_tmp_dir"] = "/dev/shm"
    return settings


class ServeApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: ServeConfig) -> None:
        self.serve_config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_settings(self.serve_config).items():
            if key in _NEWER_SETTINGS and key not in self.cfg.settings:
                continue  # an older gunicorn without that feature needs no switch for it
            self.cfg.set(key, value)

    def load(self) -> ServingApp:
        try:
            return build_app(self.serve_config)
        except Exception as exc:
            print(f"serve: worker cannot load the model: {exc}", file=sys.stderr, flush=True)
            raise


def run_server(config: ServeConfig) -> None:
    """Serve until stopped; gunicorn's arbiter exits the process itself."""
    ServeApplication(config).run()


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
