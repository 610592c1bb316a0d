"""The tag an image built from this checkout gets: its git commit, ``-dirty`` when uncommitted
changes in the build context (``containers/``, the only folder that goes into the image) would
make the image differ from what the commit builds.

A tag names the code that went into the image, so a repository of immutable tags is also a map
from commits to images; a ``-dirty`` image is for trying things in dev, and staging and prod
refuse it (nobody could rebuild it from history). Changes outside ``containers/`` (an edited
environment file, say) do not change the image, so they do not make it dirty.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchestrator.errors import UserError
from orchestrator.settings.environment import PROTECTED_ENVIRONMENTS

DIRTY_SUFFIX = "-dirty"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


class NotAGitCheckout(UserError):
    """The image tag comes from git; outside a checkout there is no commit to name."""


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise NotAGitCheckout(f"git is needed to tag the image with the commit: {exc}") from None
    if result.returncode != 0:
        raise NotAGitCheckout(
            f"{root} is not a git checkout ({result.stderr.strip()}): images are tagged with "
            "the commit they were built from; work from a clone of the repository, or name "
            "the image with --image"
        )
    return result.stdout


BUILD_CONTEXT = "containers"


def source_tag(root: Path = REPOSITORY_ROOT, context: str = BUILD_CONTEXT) -> str:
    """``<12-hex commit>``, or ``<commit>-dirty`` when tracked or untracked files of the build
    context changed."""
    commit = _git(root, "rev-parse", "--short=12", "HEAD").strip()
    dirty = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", context).strip()
    return commit + DIRTY_SUFFIX if dirty else commit


def refuse_dirty(tag: str, environment: str, action: str) -> None:
    """Staging and prod take only images built from a commit."""
    if tag.endswith(DIRTY_SUFFIX) and environment in PROTECTED_ENVIRONMENTS:
        raise UserError(
            f"{action} for {environment} refuses {tag!r}: it was built from a working tree with "
            f"uncommitted changes, which nobody can rebuild; commit (or stash) the changes and "
            f"build again, or pass --image with an image built from a commit"
        )
