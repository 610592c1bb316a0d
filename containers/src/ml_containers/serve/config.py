"""The server's settings: command-line flags first, then SageMaker's environment variables, then
defaults, so the same image runs unchanged in an endpoint, in batch transform and in tests.

Every bad value is refused here, before anything is loaded, with a message that names the flag
or variable and what it accepts (the CLI turns it into exit code 2).
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from .business import BusinessConfigError, BusinessSettings, business_settings

DEFAULT_PORT = 8080
DEFAULT_HOST = "0.0.0.0"
DEFAULT_TIMEOUT_S = 60.0  # SageMaker's own invocation timeout for real-time endpoints
DEFAULT_MAX_PAYLOAD_MB = 6  # SageMaker's default MaxPayloadInMB
MAX_PAYLOAD_MB_LIMIT = 100  # the largest MaxPayloadInMB SageMaker accepts
DEFAULT_KEEPALIVE_S = 75.0  # longer than a load balancer's usual 60 s idle timeout
DEFAULT_NAMESPACE = "MLOps/Serving"

ENV_PORT = "SAGEMAKER_BIND_TO_PORT"
ENV_WORKERS = "SAGEMAKER_MODEL_SERVER_WORKERS"
ENV_TIMEOUT = "SAGEMAKER_MODEL_SERVER_TIMEOUT"
ENV_MAX_PAYLOAD = "SAGEMAKER_MAX_PAYLOAD_IN_MB"  # set by SageMaker in batch transform
ENV_MODEL_VERSION = "MODEL_VERSION"
ENV_NAMESPACE = "SERVE_METRICS_NAMESPACE"


class ConfigError(ValueError):
    """A flag or environment variable has a value the server cannot use."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    host: str
    port: int
    model_dir: Path
    workers: int
    timeout_s: float
    max_payload_mb: int
    keepalive_s: float
    model_version: str | None
    metrics_namespace: str
    business: BusinessSettings  # the business metrics' dimensions, interval and buckets

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_mb * 1024 * 1024


def default_workers() -> int:
    """One worker per CPU this process may run on (the cgroup/affinity view, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="serve",
        description=(
            "Serve the model bundle in /opt/ml/model on SageMaker's inference contract: "
            "GET /ping, POST /invocations, GET /execution-parameters."
        ),
    )
    parser.add_argument("--host", help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", help=f"TCP port (default ${ENV_PORT}, else {DEFAULT_PORT})")
    parser.add_argument(
        "--model-dir", help="model bundle directory (default /opt/ml/model under $OPT_ML_ROOT)"
    )
    parser.add_argument(
        "--workers", help=f"worker processes (default ${ENV_WORKERS}, else the number of CPUs)"
    )
    parser.add_argument(
        "--timeout",
        help=f"per-request prediction timeout in seconds (default ${ENV_TIMEOUT}, else 60)",
    )
    parser.add_argument(
        "--max-payload-mb",
        help=f"largest request body in MB (default ${ENV_MAX_PAYLOAD}, else 6)",
    )
    parser.add_argument(
        "--keepalive",
        help=f"seconds an idle keep-alive connection stays open (default {DEFAULT_KEEPALIVE_S:g})",
    )
    return parser


def parse_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> ServeConfig:
    """Resolve the settings; raises :class:`ConfigError` naming the bad flag or variable."""
    env = os.environ if environ is None else environ
    args = build_parser().parse_args(argv)
    port = _integer(_pick(args.port, "--port", env, ENV_PORT), str(DEFAULT_PORT), 1, 65535)
    assert port is not None  # a default is given
    workers = _integer(_pick(args.workers, "--workers", env, ENV_WORKERS), None, 1, 512)
    timeout = _seconds(_pick(args.timeout, "--timeout", env, ENV_TIMEOUT), DEFAULT_TIMEOUT_S)
    payload = _integer(
        _pick(args.max_payload_mb, "--max-payload-mb", env, ENV_MAX_PAYLOAD),
        str(DEFAULT_MAX_PAYLOAD_MB),
        1,
        MAX_PAYLOAD_MB_LIMIT,
    )
    assert payload is not None  # a default is given
    keepalive = _seconds((args.keepalive, "--keepalive"), DEFAULT_KEEPALIVE_S)
    model_dir = Path(args.model_dir) if args.model_dir else paths.model_dir()
    namespace = env.get(ENV_NAMESPACE) or DEFAULT_NAMESPACE
    try:
        business = business_settings(env)
    except BusinessConfigError as exc:
        raise ConfigError(str(exc)) from None
    return ServeConfig(
        host=args.host or DEFAULT_HOST,
        port=port,
        model_dir=model_dir,
        workers=workers if workers is not None else default_workers(),
        timeout_s=timeout,
        max_payload_mb=payload,
        keepalive_s=keepalive,
        model_version=env.get(ENV_MODEL_VERSION) or None,
        metrics_namespace=namespace,
        business=business,
    )


def _pick(
    flag_value: str | None, flag: str, env: Mapping[str, str], variable: str
) -> tuple[str | None, str]:
    """The raw value and where it came from (for the error message): flag, then variable."""
    if flag_value is not None:
        return flag_value, flag
    value = env.get(variable)
    if value is not None and value.strip():
        return value.strip(), f"${variable}"
    return None, flag


def _integer(
    picked: tuple[str | None, str], default: str | None, low: int, high: int
) -> int | None:
    raw, source = picked
    if raw is None:
        raw = default
        if raw is None:
            return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{source} must be a whole number from {low} to {high}, got {raw!r}"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{source} must be from {low} to {high}, got {value}")
    return value


def _seconds(picked: tuple[str | None, str], default: float) -> float:
    raw, source = picked
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{source} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{source} must be a positive number of seconds, got {raw!r}")
    return value
