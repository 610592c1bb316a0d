"""``serve``: the entry point SageMaker runs (``docker run <image> serve``).

Exit codes: 2 for a bad flag or environment variable, 1 when the model cannot be loaded (the
reason is printed, and the port is never opened, so ``/ping`` is never 200 without a model);
otherwise the server runs until SIGTERM and exits 0.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Sequence

# One thread per worker process for every native pool (XGBoost's OpenMP, BLAS, onnxruntime is
# set per session): the server runs one worker per core, so more threads only oversubscribe.
THREAD_LIMITS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def limit_native_threads() -> None:
    """Must run before numpy/xgboost are imported; an operator's explicit setting wins."""
    for name, value in THREAD_LIMITS.items():
        os.environ.setdefault(name, value)


def main(argv: Sequence[str] | None = None) -> int:
    limit_native_threads()
    from .config import ConfigError, parse_config

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="serve: %(message)s")
    try:
        config = parse_config(argv)
    except ConfigError as exc:
        print(f"serve: error: {exc}", file=sys.stderr)
        return 2
    from .capture import CaptureConfigError, CaptureSettings

    try:
        CaptureSettings.from_environ()  # checked once here; each worker builds its writer
    except CaptureConfigError as exc:
        print(f"serve: error: {exc}", file=sys.stderr)
        return 2
    from .model import ModelLoadError, load_served_model  # numpy, pyarrow, model libraries

    try:
        model = load_served_model(config.model_dir, config.model_version)
    except ModelLoadError as exc:
        print(f"serve: cannot start: {exc}", file=sys.stderr)
        return 1
    print(
        f"serve: model {model.model_id!r} version {model.model_version!r} "
        f"({model.bundle.manifest.format}, {model.bundle.problem_type.value}) loaded from "
        f"{config.model_dir}; predictor: {model.predictor_description}; one-row prediction "
        f"{model.cost.fixed * 1e6:.0f} µs; starting "
        f"{config.workers} worker(s) on {config.host}:{config.port}",
        file=sys.stderr,
        flush=True,
    )
    del model
    gc.collect()
    from .server import run_server

    run_server(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
