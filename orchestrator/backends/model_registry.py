"""One protocol for the model registry, with the SageMaker Model Registry's semantics, so the
local SQLite registry and the AWS-backed one are interchangeable and pass one conformance suite.

Semantics (as in SageMaker): a model package *group* holds *versions* numbered 1, 2, 3, ... in
registration order; each version has an approval status. Deployment takes only Approved versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from orchestrator.settings.approval import APPROVAL_STATUSES, ApprovalStatus

# SageMaker lets a version move between Approved and Rejected in either direction, and out of
# PendingManualApproval, but never back into PendingManualApproval.
__all__ = [  # the statuses are the registry's vocabulary, defined in settings/approval.py
    "APPROVAL_STATUSES",
    "ApprovalStatus",
    "ModelPackage",
    "ModelRegistry",
    "RegistryError",
    "check_group_name",
    "check_status",
    "check_transition",
    "metadata_from_request",
    "model_package_arn",
    "parse_model_package_arn",
]

_ALLOWED: dict[str, set[str]] = {
    "PendingManualApproval": {"Approved", "Rejected"},
    "Approved": {"Rejected"},
    "Rejected": {"Approved"},
}


class RegistryError(ValueError):
    """A registry request that cannot be honoured (unknown group/version, bad transition)."""


def check_status(status: str) -> None:
    """Raise :class:`RegistryError` unless ``status`` is an approval status."""
    if status not in APPROVAL_STATUSES:
        raise RegistryError(
            f"unknown approval status {status!r}; use one of {list(APPROVAL_STATUSES)}"
        )


def check_transition(current: str, new: str) -> None:
    """Raise :class:`RegistryError` unless ``current -> new`` is an allowed status change."""
    check_status(new)
    if new == current:
        return
    if new not in _ALLOWED[current]:
        raise RegistryError(
            f"a model version cannot go from {current} to {new}; allowed from {current}: "
            f"{sorted(_ALLOWED[current])}"
        )


class ModelPackage(BaseModel):
    """One registered model version."""

    group: str
    version: int
    arn: str
    approval_status: ApprovalStatus
    model_data_url: str
    image_uri: str
    description: str = ""
    metrics: dict[str, float] = Field(default_factory=dict)
    metrics_uri: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    status_reason: str = ""
    # When the approval status last changed (None: never changed since registration).
    status_changed_at: datetime | None = None


@runtime_checkable
class ModelRegistry(Protocol):
    """What every registry backend provides. All list methods return *every* match (backends
    paginate internally), ordered by version ascending."""

    def ensure_group(
        self, group: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> None:
        """Create the group if it does not exist (idempotent). ``tags`` go on a group this call
        creates (SageMaker's cost and access tags; a versioned package takes its group's)."""

    def register(
        self,
        group: str,
        *,
        model_data_url: str,
        image_uri: str,
        approval_status: ApprovalStatus = "PendingManualApproval",
        description: str = "",
        metrics: dict[str, float] | None = None,
        metrics_uri: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ModelPackage:
        """Add the next version to ``group`` (which must exist). Concurrent registrations get
        distinct versions."""

    def get(self, group: str, version: int) -> ModelPackage:
        """One version; RegistryError when the group or version does not exist."""

    def list_versions(self, group: str, status: ApprovalStatus | None = None) -> list[ModelPackage]:
        """Every version of the group (optionally only those with ``status``)."""

    def list_groups(self) -> list[str]:
        """Every group name, sorted."""

    def latest_approved(self, group: str) -> ModelPackage | None:
        """The highest Approved version, or None."""

    def set_status(
        self, group: str, version: int, status: ApprovalStatus, reason: str = ""
    ) -> ModelPackage:
        """Change the approval status (checked with :func:`check_transition`)."""


# SageMaker's ModelPackageGroupName pattern; checked by every backend so a name the local registry
# accepts is one SageMaker accepts too.
_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[^:]+):(?P<account>[^:]+):model-package/"
    r"(?P<group>[^/]+)/(?P<version>[1-9][0-9]*)$"
)


def check_group_name(group: str) -> None:
    """Raise :class:`RegistryError` unless ``group`` is a valid SageMaker model package group
    name (1-63 letters, digits and hyphens, starting and ending with a letter or digit)."""
    if not isinstance(group, str) or not _GROUP_NAME.match(group):
        raise RegistryError(
            f"invalid model package group name {group!r}: use 1-63 letters, digits and hyphens, "
            "starting and ending with a letter or digit (SageMaker's rule)"
        )


def model_package_arn(region: str, account: str, group: str, version: int) -> str:
    """The ARN of version ``version`` of ``group``, shaped as SageMaker's."""
    return f"arn:aws:sagemaker:{region}:{account}:model-package/{group}/{version}"


def parse_model_package_arn(arn: str) -> tuple[str, int]:
    """``(group, version)`` of a versioned model package ARN; RegistryError otherwise."""
    match = _PACKAGE_ARN.match(arn.strip()) if isinstance(arn, str) else None
    if not match:
        raise RegistryError(
            f"{arn!r} is not a versioned model package ARN; expected "
            "arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>"
        )
    return match["group"], int(match["version"])


def metadata_from_request(request: dict[str, Any]) -> dict[str, str]:
    """CustomerMetadataProperties of a CreateModelPackage request (strings only)."""
    return {str(k): str(v) for k, v in (request.get("CustomerMetadataProperties") or {}).items()}
