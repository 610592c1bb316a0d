"""The tag an image built from this checkout gets: its git commit, ``-dirty`` when uncommitted
changes would make the image differ from the commit.

A tag names the code that went into the image, so a repository of immutable tags is also a map
from commits to images; a ``-dirty`` image is for trying things in dev, and staging and prod
refuse it (nobody could rebuild it from history).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchestrator.errors import UserError

DIRTY_SUFFIX = "-dirty"
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
# Environments whose images must be reproducible from a commit.
CLEAN_ONLY_ENVIRONMENTS = frozenset({"staging", "prod"})


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
            "the commit they were built from; build from a clone of the repository"
        )
    return result.stdout


def source_tag(root: Path = REPOSITORY_ROOT) -> str:
    """``<12-hex commit>``, or ``<commit>-dirty`` when tracked or untracked files changed."""
    commit = _git(root, "rev-parse", "--short=12", "HEAD").strip()
    dirty = _git(root, "status", "--porcelain", "--untracked-files=normal").strip()
    return commit + DIRTY_SUFFIX if dirty else commit


def refuse_dirty(tag: str, environment: str, action: str) -> None:
    """Staging and prod take only images built from a commit."""
    if tag.endswith(DIRTY_SUFFIX) and environment in CLEAN_ONLY_ENVIRONMENTS:
        raise UserError(
            f"{action} for {environment} refuses {tag!r}: it was built from a working tree with "
            f"uncommitted changes, which nobody can rebuild; commit (or stash) the changes and "
            f"build again, or pass --image with an image built from a commit"
        )
