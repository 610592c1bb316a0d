"""Turn a registered model version into a model directory the ``serve`` program can load.

A model package names its artifact by S3 URI; locally that URI is a file in the artifact store.
Each version is unpacked once into its own directory (``<work_root>/models/<group>-v<version>``),
staged under a temporary name and renamed into place, so a crash mid-extraction never leaves a
half-unpacked model that a later deploy would trust.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from ml_containers.bundle import MANIFEST_FILE, BundleError, safe_extract

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import ArtifactError
from orchestrator.backends.local.serving_errors import EndpointError
from orchestrator.backends.model_registry import ModelPackage


def model_archive_path(store_root: Path, model_data_url: str) -> Path:
    """The local file behind ``model_data_url`` (s3://bucket/key is <store_root>/bucket/key)."""
    try:
        path = ArtifactStore(Path(store_root)).path(model_data_url)
    except ArtifactError as exc:
        raise EndpointError(f"cannot locate the model artifact: {exc}") from None
    if not path.is_file():
        raise EndpointError(
            f"the model artifact {model_data_url} is not in the local artifact store (looked for "
            f"{path}); run the pipeline that registered it with the same store root, or register "
            "a model whose artifact exists"
        )
    return path


def unpack_model(package: ModelPackage, store_root: Path, work_root: Path) -> Path:
    """Extract ``package``'s model.tar.gz (once) and return the model directory."""
    archive = model_archive_path(store_root, package.model_data_url)
    models = Path(work_root) / "models"
    destination = models / f"{package.group}-v{package.version}"
    if (destination / MANIFEST_FILE).is_file():
        return destination
    models.mkdir(parents=True, exist_ok=True)
    staging = models / f".partial-{destination.name}-{uuid.uuid4().hex[:8]}"
    try:
        safe_extract(archive, staging)
        if not (staging / MANIFEST_FILE).is_file():
            raise EndpointError(
                f"{package.model_data_url} (version {package.version} of {package.group}) holds "
                f"no {MANIFEST_FILE} at its root: it is not a model bundle written by train; "
                "register the model.tar.gz the training job produced"
            )
        try:
            staging.rename(destination)
        except OSError:
            if not (destination / MANIFEST_FILE).is_file():  # not a concurrent unpack: a real error
                raise
    except BundleError as exc:
        raise EndpointError(
            f"version {package.version} of {package.group}: {exc}; re-register a valid model.tar.gz"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination
