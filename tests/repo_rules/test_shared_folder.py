"""The shared folder is found relative to the repository, and its absence is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_folder import SHARED, SharedFolderMissing, reference_definitions

ROOT = Path(__file__).resolve().parents[2]
MACHINE_ROOTS = ("/" + "work/",)  # built, so this file does not match itself


def test_the_shared_folder_sits_beside_the_repository() -> None:
    assert ROOT.parent / "shared" == SHARED
    assert len(reference_definitions()) >= 2


def test_a_missing_folder_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SharedFolderMissing, match="beside the repository"):
        reference_definitions(tmp_path / "nowhere")
    (tmp_path / "reference" / "sagemaker-pipeline-definitions").mkdir(parents=True)
    with pytest.raises(SharedFolderMissing, match=r"no \*\.json"):
        reference_definitions(tmp_path)


def test_no_test_reads_a_machine_path() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(f"{quote}{root}" in line for quote in "\"'" for root in MACHINE_ROOTS)
    ]
    assert not offenders, f"tests must find ../shared through shared_folder.py: {offenders}"
