"""Fixtures every test folder shares."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_folder import SHARED, shared_path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder beside the repository (an error, never a skip, when missing)."""
    return shared_path(".", SHARED)
