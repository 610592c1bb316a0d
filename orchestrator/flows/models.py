"""Model registry flows: list versions, change approval, and pick the version a command serves.

A version is named the same way everywhere: a number in the environment's group, a model
package ARN, or ``latest-approved``. Only Approved versions are served or batch-transformed.
"""

from __future__ import annotations

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import (
    ApprovalStatus,
    ModelPackage,
    RegistryError,
    parse_model_package_arn,
)
from orchestrator.errors import UserError

LATEST_APPROVED = "latest-approved"


def list_versions(backend: Backend, status: ApprovalStatus | None = None) -> list[ModelPackage]:
    """Every version of the environment's group (none before the first registration)."""
    registry = backend.registry
    group = backend.model_group
    return registry.list_versions(group, status) if group in registry.list_groups() else []


def set_status(
    backend: Backend, env: str, version: int, status: ApprovalStatus, reason: str
) -> ModelPackage:
    """Approve or reject a version; unknown versions and refused transitions are user errors."""
    group = backend.model_group
    if group not in backend.registry.list_groups():
        raise UserError(
            f"model package group {group} has no versions yet; train and register one with "
            f"'orchestrator run --env {env}' first"
        )
    try:
        return backend.registry.set_status(group, version, status, reason)
    except RegistryError as exc:
        raise UserError(str(exc)) from None


def resolve(backend: Backend, spec: str | int | None, purpose: str = "served") -> ModelPackage:
    """The Approved version ``spec`` names: a version number, an ARN of the environment's
    group, or ``latest-approved``/None for the highest Approved version."""
    group = backend.model_group
    registry = backend.registry
    if spec is None or spec == LATEST_APPROVED:
        package = registry.latest_approved(group) if group in registry.list_groups() else None
        if package is None:
            raise UserError(
                f"model package group {group} has no Approved version; run 'orchestrator run' "
                "or approve one with 'orchestrator models approve <version>'"
            )
        return package
    version = spec if isinstance(spec, int) else _version_of(spec, group)
    try:
        package = registry.get(group, version)
    except RegistryError as exc:
        raise UserError(f"{exc}; list versions with 'orchestrator models list'") from None
    if package.approval_status != "Approved":
        raise UserError(
            f"version {package.version} is {package.approval_status}; only Approved versions are "
            f"{purpose}. Approve it with 'orchestrator models approve {package.version}'"
        )
    return package


def _version_of(spec: str, group: str) -> int:
    if spec.isdigit():
        return int(spec)
    try:
        arn_group, version = parse_model_package_arn(spec)
    except RegistryError as exc:
        raise UserError(f"{exc}, a version number, or {LATEST_APPROVED}") from None
    if arn_group != group:
        raise UserError(
            f"{spec} belongs to group {arn_group!r}, not this stack's {group!r}; pass a "
            "version of the stack's group"
        )
    return version
