"""The container engine the image tests use, found once per test session.

Tests that build or run the image take the ``container_engine`` fixture (tests/conftest.py).
Where neither docker nor podman works, those tests are skipped *by name* with the reason in
pytest's summary (``-ra``), never passed silently; CI sets ``MLOPS_REQUIRE_CONTAINER_ENGINE=1``
(in ``.ci/run``, after running ``../shared/containers/podman-setup.sh``) so that there a missing
engine fails the run instead.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from orchestrator.images.engine import ContainerEngine, NoContainerEngine, find_engine

REQUIRE_ENV = "MLOPS_REQUIRE_CONTAINER_ENGINE"
# Built by ../shared/containers/podman-setup.sh from Debian's packages, for machines that reach
# no image registry; elsewhere the Dockerfile's default (the official slim Python image) is used.
OFFLINE_BASE_IMAGE = "localhost/python:3.11-bookworm"


def engine_or_skip() -> ContainerEngine:
    try:
        return find_engine()
    except NoContainerEngine as missing:
        message = f"container image tests not run: {missing}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {message}", pytrace=False)
    pytest.skip(message)


def base_image_for(engine: ContainerEngine) -> str | None:
    """The offline base image when this engine has it, else None (the Dockerfile's default)."""
    result = subprocess.run(
        [engine.executable, "image", "inspect", OFFLINE_BASE_IMAGE],
        capture_output=True,
        check=False,
    )
    return OFFLINE_BASE_IMAGE if result.returncode == 0 else None
