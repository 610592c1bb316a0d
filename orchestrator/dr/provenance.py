"""What a backup records about the code and configuration: the git commit (and whether the
tree had uncommitted changes), the environment file as written, the settings after ``--set``,
the rendered tfvars, and what was deployed with which commit."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from orchestrator.backends.model_registry import ModelPackage
from orchestrator.flows.history import DeploymentEvent, served
from orchestrator.infra.render import tfvars_path
from orchestrator.settings.environment import EnvironmentConfig

REPO = Path(__file__).resolve().parents[2]
_COMMIT_IN_DEFINITION = re.compile(r'"CommitId":\s*"([^"]+)"')


def _git(*args: str) -> str | None:
    try:
        found = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() if found.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """``{"commit": <full sha or None outside git>, "dirty": <uncommitted changes>}``."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def configuration(config: EnvironmentConfig) -> dict[str, Any]:
    """The environment file's text, the settings it resolved to, and the rendered tfvars."""
    source = config.source
    tfvars = tfvars_path(config)
    return {
        "environment_file": source.read_text() if source and source.is_file() else None,
        "environment_settings": config.model_dump(mode="json"),
        "tfvars": tfvars.read_text() if tfvars.is_file() else None,
    }


def deployed(
    packages: list[ModelPackage], events: list[DeploymentEvent], definition: str | None
) -> dict[str, Any]:
    """What serves now (the last InService event) and the commit of each deployed thing: the
    serving package's (its CommitId lineage), its image, the pipeline definition's."""
    by_arn = {p.arn: p for p in packages}
    last = served(events)[-1:] if events else []
    serving = None
    if last and last[0].package is not None:
        record = last[0].package
        package = by_arn.get(record.arn)
        serving = {
            "arn": record.arn,
            "image_uri": record.image_uri,
            "commit": package.metadata.get("CommitId") if package else None,
            "since": last[0].at.isoformat(),
        }
    found = _COMMIT_IN_DEFINITION.search(definition or "")
    return {
        "serving": serving,
        "pipeline_commit": found.group(1) if found else None,
        "package_commits": {p.arn: p.metadata.get("CommitId") for p in packages},
    }
