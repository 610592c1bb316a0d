"""Fixtures every test folder shares.

The shared folder (``../shared`` beside the repository; :mod:`shared_folder` is the one place
that finds it, relative to the repository, never by a machine path) reaches tests through here
only: ``shared_dir`` is the folder, and a test that takes ``reference_path`` runs once per
SageMaker SDK reference definition in it. A missing folder fails collection with the fix in the
message: it never skips, and never parametrizes a test to zero cases.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from container_engine import base_image_for, engine_or_skip
from shared_folder import SHARED, SharedFolderMissing, reference_definitions, shared_path

from orchestrator.images.engine import ContainerEngine

pytest_plugins = ["aws_call_recorder"]
T = TypeVar("T")


def _required(find: Callable[[], T]) -> T:
    """``find()``, or a test failure (not a skip) that says what is missing and how to fix it."""
    try:
        return find()
    except SharedFolderMissing as missing:
        message = str(missing)
    pytest.fail(message, pytrace=False)  # outside the except: the message alone, no chain


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "reference_path" in metafunc.fixturenames:
        paths = _required(reference_definitions)
        metafunc.parametrize("reference_path", paths, ids=[path.name for path in paths])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder beside the repository (an error, never a skip, when missing)."""
    return _required(lambda: shared_path(".", SHARED))


@pytest.fixture(scope="session")
def reference_paths() -> list[Path]:
    """Every SDK reference definition in the shared folder (at least one)."""
    return _required(reference_definitions)


@pytest.fixture(scope="session")
def container_engine() -> ContainerEngine:
    """docker or podman, whichever works; a named skip (a failure in CI) where neither does."""
    return engine_or_skip()


@pytest.fixture(scope="session")
def container_base_image(container_engine: ContainerEngine) -> str | None:
    """``--base-image`` for builds: the offline Debian base where present, else None."""
    return base_image_for(container_engine)
