"""Which device XGBoost trains on: the GPU when the instance has one, else the CPU.

SageMaker tells a training container nothing about GPUs besides the instance type, so the
container looks for itself: an NVIDIA GPU visible to it (``/proc/driver/nvidia/gpus/*``, which
the driver creates per GPU and SageMaker's GPU instances expose inside the container, or
``SM_NUM_GPUS`` > 0 as SageMaker's toolkits set it) and an XGBoost built with CUDA
(``xgboost.build_info()["USE_CUDA"]``; the CPU-only ``xgboost-cpu`` wheel is not). Both true:
``device=cuda``; otherwise the CPU, as before. The ``device`` hyperparameter (auto, cpu, cuda)
overrides the choice; ``cuda`` without a usable GPU fails the job saying which half is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .failure import JobFailure

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")


def visible_gpus() -> int:
    """NVIDIA GPUs this container sees."""
    try:
        declared = int(os.environ.get("SM_NUM_GPUS") or 0)
    except ValueError:
        declared = 0
    try:
        found = sum(1 for _ in NVIDIA_GPUS.iterdir()) if NVIDIA_GPUS.is_dir() else 0
    except OSError:
        found = 0
    return max(declared, found)


def xgboost_has_cuda() -> bool:
    import xgboost as xgb

    return bool(xgb.build_info().get("USE_CUDA"))


def choose_device(requested: str) -> str:
    """``cpu`` or ``cuda`` for ``requested`` (auto, cpu, cuda)."""
    if requested == "cpu":
        return "cpu"
    gpus, cuda = visible_gpus(), xgboost_has_cuda()
    if requested == "cuda" and not (gpus and cuda):
        missing = "no NVIDIA GPU is visible" if not gpus else "this XGBoost is built without CUDA"
        raise JobFailure(
            f"hyperparameter device=cuda, but {missing}; use a GPU instance type (ml.g*/ml.p*) "
            "with an image whose XGBoost has CUDA, or set device to auto or cpu"
        )
    if gpus and not cuda:  # said, not silently ignored: the GPU the job pays for stays idle
        print(
            f"device=auto: {gpus} NVIDIA GPU(s) visible but this XGBoost is built without CUDA, "
            "so training runs on the CPU; build the image with `orchestrator image build "
            "--variant gpu` to train on the GPU",
            file=sys.stderr,
            flush=True,
        )
    return "cuda" if gpus and cuda else "cpu"
