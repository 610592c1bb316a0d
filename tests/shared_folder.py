"""The one place tests find the shared folder: ``../shared`` beside the repository.

CI runs in a fresh clone with a copy of ``shared/`` beside it, wherever that clone lives, so the
folder is found relative to this file, never by a machine's absolute path. A missing folder is an
error with the fix in its message (collection fails loudly), never a skip.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
REFERENCE_DEFINITIONS = "reference/sagemaker-pipeline-definitions"


class SharedFolderMissing(RuntimeError):
    """The shared folder, or a part of it the tests read, is not there."""


def shared_path(relative: str, root: Path = SHARED) -> Path:
    """``<shared>/<relative>``, which must exist."""
    path = root / relative
    if not path.exists():
        raise SharedFolderMissing(
            f"{path} does not exist: the tests need the shared folder beside the repository "
            f"({root}, with {relative}); check it out next to {REPOSITORY.name}/"
        )
    return path


def reference_definitions(root: Path = SHARED) -> list[Path]:
    """The SageMaker SDK reference pipeline definitions (at least one)."""
    found = sorted(shared_path(REFERENCE_DEFINITIONS, root).glob("*.json"))
    if not found:
        raise SharedFolderMissing(f"{root / REFERENCE_DEFINITIONS} holds no *.json definitions")
    return found
