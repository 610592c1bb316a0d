"""Every program of the built image, run the SageMaker way: as root (the image's default user)
on root-owned mounts, and once as uid 1000 on mounts that user owns (a local `--user` run)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from image_runtime_support import (
    USER_1000,
    ContainerRun,
    ImageRunner,
    processing_mounts,
    sagemaker_dir,
)
from ml_containers.bundle import pack_model_dir

pytestmark = [pytest.mark.xdist_group("container-image"), pytest.mark.slow]


def test_the_image_runs_as_root_on_its_python_and_without_packaging_tools(built_image):
    run = built_image.run(
        ["python", "-c", "import os, sys, importlib.util as u; print(os.getuid(), "
         "sys.version_info >= (3, 11), [m for m in ('pip', 'setuptools') if u.find_spec(m)])"],
        mounts={},
    ).check()  # fmt: skip
    assert run.stdout.split() == ["0", "True", "[]"]


def test_what_the_programs_import_survives_the_cuts(built_image):
    """pyarrow without Flight/S3 and onnxruntime without its tools still import what is used."""
    modules = (
        "pyarrow.csv, pyarrow.compute, pyarrow.fs, sklearn.ensemble, scipy.stats, onnxruntime, "
        "skops.io, matplotlib.pyplot, xgboost, uvloop, httptools, PIL.Image"
    )
    built_image.run(["python", "-c", f"import {modules}"], mounts={}).check()


def test_preprocess_as_root_writes_every_output(preprocessed: tuple[Path, ContainerRun]):
    outputs, run = preprocessed
    json.loads(run.stdout.strip().splitlines()[-1])  # the one-line JSON summary
    for name in ("train/train.csv", "validation/validation.csv", "test/test.csv",
                 "transform/transform.json", "batch/batch.csv", "report/report.json"):  # fmt: skip
        path = outputs / name
        assert path.is_file() and path.stat().st_size > 0, name
        assert path.stat().st_uid == 0  # written by root, as SageMaker uploads it
    report = json.loads((outputs / "report/report.json").read_text())
    assert report["rows_in"] == 569 and report["rows_rejected"] == 0


def test_train_as_root_reads_sagemaker_config_and_writes_the_model(trained):
    opt_ml, run = trained
    model = opt_ml / "model"
    assert {"model.ubj", "manifest.json", "schema.json", "transform.json"} <= {
        p.name for p in model.iterdir()
    }
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["model_id"] == "image-runtime-train"  # TRAINING_JOB_NAME
    assert manifest["hyperparameters"]["max_depth"] == 4  # the string "4" from SageMaker
    auc = re.search(r"validation:auc=([0-9eE.+-]+)", run.stdout)  # the tuner's regex
    assert auc and float(auc.group(1)) > 0.95, run.stdout[-2000:]


def test_evaluate_as_root_unpacks_the_model_tarball(built_image, preprocessed, trained, tmp_path):
    """SageMaker packs /opt/ml/model into model.tar.gz; evaluate unpacks it with safe_extract,
    on the image's Python (Debian's 3.11.2 has no tarfile extraction filters)."""
    outputs, _ = preprocessed
    opt_ml, _ = trained
    model_in = sagemaker_dir(tmp_path / "model")
    pack_model_dir(opt_ml / "model", model_in / "model.tar.gz")
    evaluation = sagemaker_dir(tmp_path / "evaluation")
    mounts = {
        model_in: "/opt/ml/processing/input/model",
        outputs / "test": "/opt/ml/processing/input/test",
        evaluation: "/opt/ml/processing/evaluation",
        sagemaker_dir(tmp_path / "output"): "/opt/ml/output",
    }
    built_image.run(["evaluate"], mounts=mounts).check()
    report = json.loads((evaluation / "evaluation.json").read_text())
    assert report["metrics"]["auc"]["value"] > 0.95
    assert report["gate"]["passed"] is True
    for plot in ("roc_curve.png", "precision_recall_curve.png", "confusion_matrix.png"):
        assert (evaluation / plot).read_bytes()[:4] == b"\x89PNG"


def test_preprocess_as_uid_1000_on_mounts_that_user_owns(
    built_image: ImageRunner, demo_csv: Path, tmp_path: Path
):
    """A local run as a non-root user: no passwd entry, HOME=/, every mount the user's own."""
    mounts, outputs = processing_mounts(tmp_path / "job", demo_csv, owner=USER_1000)
    run = built_image.run(["preprocess"], mounts=mounts, user=USER_1000)
    run.check()
    train = outputs / "train" / "train.csv"
    assert (train.stat().st_uid, train.stat().st_gid) == USER_1000
    assert "Permission denied" not in run.stderr
