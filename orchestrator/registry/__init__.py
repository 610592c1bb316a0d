"""The model registry protocol and its shared types; backends live in ``orchestrator.local`` and
``orchestrator.aws``."""

from .protocol import (
    APPROVAL_STATUSES,
    ApprovalStatus,
    ModelPackage,
    ModelRegistry,
    RegistryError,
    check_group_name,
    check_status,
    check_transition,
    model_package_arn,
    parse_model_package_arn,
)

__all__ = [
    "APPROVAL_STATUSES",
    "ApprovalStatus",
    "ModelPackage",
    "ModelRegistry",
    "RegistryError",
    "check_group_name",
    "check_status",
    "check_transition",
    "model_package_arn",
    "parse_model_package_arn",
]
