"""What a finished step hands back to the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepOutcome:
    """``properties`` is the step's Describe*-shaped result that later steps' references read;
    ``artifacts`` the s3:// URIs it published (checked before a cached run is reused)."""

    properties: dict[str, Any]
    artifacts: list[str] = field(default_factory=list)
    log_files: list[str] = field(default_factory=list)
