"""SageMaker's container paths, re-rootable for local runs.

SageMaker mounts everything under ``/opt/ml``. Locally (and in tests) there is no container, so
``OPT_ML_ROOT`` moves that root to any directory; every program resolves its paths through this
module so the re-rooting is done in exactly one place.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

SAGEMAKER_ROOT = PurePosixPath("/opt/ml")
ENV_ROOT = "OPT_ML_ROOT"


def opt_ml_root() -> Path:
    """The effective ``/opt/ml`` directory: ``$OPT_ML_ROOT`` when set, else ``/opt/ml``."""
    return Path(os.environ.get(ENV_ROOT) or str(SAGEMAKER_ROOT))


def opt_ml(*parts: str) -> Path:
    """A path below the effective ``/opt/ml`` root, e.g. ``opt_ml("model")``."""
    return opt_ml_root().joinpath(*parts)


def reroot(container_path: str | PurePosixPath, root: Path | None = None) -> Path:
    """Map an absolute container path under ``/opt/ml`` to the effective root.

    Processing jobs name their input and output directories as absolute container paths (the
    ``LocalPath`` of a ProcessingInput); this turns such a path into the real local directory.
    Paths outside ``/opt/ml`` are refused, because nothing else is mounted in a job either.
    """
    path = PurePosixPath(container_path)
    try:
        relative = path.relative_to(SAGEMAKER_ROOT)
    except ValueError:
        raise ValueError(
            f"container path {str(path)!r} is not under {SAGEMAKER_ROOT}; SageMaker mounts job "
            "inputs and outputs only below /opt/ml"
        ) from None
    return (root or opt_ml_root()).joinpath(*relative.parts)


# Training job contract (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo.html)
def hyperparameters_file() -> Path:
    return opt_ml("input", "config", "hyperparameters.json")


def input_data_config_file() -> Path:
    return opt_ml("input", "config", "inputdataconfig.json")


def resource_config_file() -> Path:
    return opt_ml("input", "config", "resourceconfig.json")


def channel_dir(channel: str) -> Path:
    """A training channel's directory; ``SM_CHANNEL_<NAME>`` overrides it, as in SageMaker's
    training toolkits."""
    override = os.environ.get(f"SM_CHANNEL_{channel.upper()}")
    return Path(override) if override else opt_ml("input", "data", channel)


def model_dir() -> Path:
    override = os.environ.get("SM_MODEL_DIR")
    return Path(override) if override else opt_ml("model")


def output_dir() -> Path:
    return opt_ml("output")


def failure_file() -> Path:
    return opt_ml("output", "failure")


def processing_dir(*parts: str) -> Path:
    """A directory below ``/opt/ml/processing`` (processing jobs' conventional mount point)."""
    return opt_ml("processing", *parts)
