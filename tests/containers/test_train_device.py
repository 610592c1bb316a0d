"""Training on a GPU instance uses XGBoost's CUDA device by itself (issue #18): ``device``
auto picks ``cuda`` when a GPU is visible and XGBoost has CUDA, else the CPU as before; asking
for ``cuda`` without one fails saying which half is missing. The real GPU run needs a GPU: where
there is none it is skipped with a reason naming it."""

from __future__ import annotations

import pytest
from ml_containers.bundle import read_manifest
from ml_containers.train import device
from ml_containers.train.failure import JobFailure
from ml_containers.train.hyperparameters import parse_hyperparameters
from test_train_support import lay_out_training_job, prepare, run_program

HAS_GPU = device.visible_gpus() > 0 and device.xgboost_has_cuda()


@pytest.fixture(scope="module")
def schema():
    return prepare("breast_cancer").schema


def _fake(monkeypatch, gpus: int, cuda: bool) -> None:
    monkeypatch.setattr(device, "visible_gpus", lambda: gpus)
    monkeypatch.setattr(device, "xgboost_has_cuda", lambda: cuda)


def test_auto_trains_on_the_cpu_without_a_gpu(monkeypatch, schema):
    _fake(monkeypatch, gpus=0, cuda=True)
    assert "device" not in parse_hyperparameters({}, schema, cores=2).params


def test_auto_trains_on_cuda_when_a_gpu_and_a_cuda_xgboost_are_there(monkeypatch, schema):
    _fake(monkeypatch, gpus=1, cuda=True)
    assert parse_hyperparameters({}, schema, cores=2).params["device"] == "cuda"
    assert "device" not in parse_hyperparameters({"device": "cpu"}, schema, cores=2).params


def test_auto_stays_on_the_cpu_when_xgboost_has_no_cuda_and_says_so(monkeypatch, schema, capsys):
    _fake(monkeypatch, gpus=1, cuda=False)
    assert "device" not in parse_hyperparameters({}, schema, cores=2).params
    said = capsys.readouterr().err
    assert "1 NVIDIA GPU(s) visible but this XGBoost is built without CUDA" in said
    assert "--variant gpu" in said
    _fake(monkeypatch, gpus=0, cuda=False)  # no GPU: nothing to say
    parse_hyperparameters({}, schema, cores=2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("gpus", "cuda", "missing"),
    [(0, True, "no NVIDIA GPU is visible"), (1, False, "built without CUDA")],
)
def test_cuda_asked_for_without_a_usable_gpu_fails_naming_the_missing_half(
    monkeypatch, schema, gpus, cuda, missing
):
    _fake(monkeypatch, gpus=gpus, cuda=cuda)
    with pytest.raises(JobFailure, match=missing):
        parse_hyperparameters({"device": "cuda"}, schema, cores=2)


def test_sm_num_gpus_counts_as_a_visible_gpu(monkeypatch):
    monkeypatch.setenv("SM_NUM_GPUS", "4")
    assert device.visible_gpus() >= 4


@pytest.mark.skipif(
    not HAS_GPU,
    reason="test_training_on_a_gpu_instance_uses_device_cuda needs an NVIDIA GPU and an XGBoost "
    "built with CUDA; this machine has neither (or not both)",
)
def test_training_on_a_gpu_instance_uses_device_cuda(tmp_path):
    root = lay_out_training_job(tmp_path, prepare("breast_cancer"), {"num_round": "20"})
    result = run_program("train", root)
    assert result.returncode == 0, result.stderr
    assert read_manifest(root / "model").hyperparameters["device"] == "cuda"
