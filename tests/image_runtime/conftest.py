"""The image, built once per session, run the way SageMaker runs it.

``built_image`` builds ``containers/`` with the session's container engine (once: every test here
is in the ``container-image`` xdist group, so one worker runs them all). The other fixtures chain
the demo job through the image: ``generate-data`` -> ``preprocess`` -> ``train``, each a real
container run on host directories laid out as SageMaker mounts them (root-owned, mode 755), so a
test starts from the step before it without repeating it.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from image_runtime_support import (
    ContainerRun,
    ImageRunner,
    lay_out_training_job,
    processing_mounts,
    sagemaker_dir,
)

from orchestrator.images.build import build_image
from orchestrator.images.engine import ContainerEngine


@pytest.fixture(scope="session")
def built_image(container_engine: ContainerEngine, container_base_image: str | None) -> ImageRunner:
    """The image built from ``containers/`` by the code ``orchestrator image build`` runs
    (removed at the end of the session)."""
    built = build_image(
        container_engine,
        f"image-runtime-{uuid.uuid4().hex[:12]}",
        base_image=container_base_image,
        progress=lambda _line: None,
    )
    yield ImageRunner(container_engine.executable, built.reference)
    subprocess.run(
        [container_engine.executable, "rmi", "-f", built.reference],
        capture_output=True,
        check=False,
    )


@pytest.fixture(scope="session")
def demo_csv(built_image: ImageRunner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``generate-data demo`` run inside the image: the breast-cancer CSV and its schema."""
    out = sagemaker_dir(tmp_path_factory.mktemp("demo") / "data")
    run = built_image.run(
        ["generate-data", "demo", "--out", "/data/breast_cancer.csv",
         "--schema-out", "/data/schema.yaml"],
        mounts={out: "/data"},
    )  # fmt: skip
    run.check()
    return out


@pytest.fixture(scope="session")
def preprocessed(
    built_image: ImageRunner, demo_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ContainerRun]:
    """``preprocess`` as a processing job run as root: the host directory of each output."""
    job = tmp_path_factory.mktemp("preprocess-root")
    mounts, outputs = processing_mounts(job, demo_csv)
    run = built_image.run(["preprocess", "--seed", "7"], mounts=mounts)
    run.check()
    return outputs, run


@pytest.fixture(scope="session")
def trained(
    built_image: ImageRunner,
    preprocessed: tuple[Path, ContainerRun],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, ContainerRun]:
    """``train`` as a training job run as root on preprocess's outputs: the host /opt/ml."""
    outputs, _ = preprocessed
    opt_ml = lay_out_training_job(tmp_path_factory.mktemp("train-root") / "opt_ml", outputs)
    run = built_image.run(
        ["train"], mounts={opt_ml: "/opt/ml"}, env={"TRAINING_JOB_NAME": "image-runtime-train"}
    )
    run.check()
    return opt_ml, run


def copy_tree(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination
