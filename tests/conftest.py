"""Fixtures every test folder shares.

The shared folder (``../shared`` beside the repository; :mod:`shared_folder` is the one place
that finds it, relative to the repository, never by a machine path) reaches tests through here
only: ``shared_dir`` is the folder, and a test that takes ``reference_path`` runs once per
SageMaker SDK reference definition in it. A missing folder fails collection with the fix in the
message: it never skips, and never parametrizes a test to zero cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_folder import SHARED, reference_definitions, shared_path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "reference_path" in metafunc.fixturenames:
        paths = reference_definitions()  # raises SharedFolderMissing (collection fails) if none
        metafunc.parametrize("reference_path", paths, ids=[path.name for path in paths])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder beside the repository (an error, never a skip, when missing)."""
    return shared_path(".", SHARED)


@pytest.fixture(scope="session")
def reference_paths() -> list[Path]:
    """Every SDK reference definition in the shared folder (at least one)."""
    return reference_definitions()
