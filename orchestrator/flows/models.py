"""Model registry flows: which group a command means, list versions, change approval, and pick
the version a command serves.

Each dataset has its own group (:mod:`orchestrator.data.identity`); a command means the group
of ``--dataset NAME`` or, without it, of the environment's own dataset. A version is named the
same way everywhere: a number in that group, a model package ARN (of any of the stack's
groups), or ``latest-approved``. Only Approved versions are served or batch-transformed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ml_containers.data.bundled import load_bundled_schema
from ml_containers.schema import SchemaError, load_schema

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import (
    ApprovalStatus,
    ModelPackage,
    RegistryError,
    parse_model_package_arn,
)
from orchestrator.data.identity import model_group_name
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig

LATEST_APPROVED = "latest-approved"
GroupChoice = Callable[[], str]  # the group a command means, looked up only when needed


def environment_dataset(backend: Backend, config: EnvironmentConfig) -> str:
    """The name in the environment's dataset schema: a bundled demo's, the local schema
    file's, or (aws) the one in the schema file on S3."""
    demo = config.dataset.demo_name
    if demo is not None:
        return str(load_bundled_schema(demo).name)
    uri = str(config.dataset.schema_file)
    if uri.startswith("s3://"):
        from orchestrator.flows.pipeline import read_dataset_schema

        return str(read_dataset_schema(backend, uri).name)
    try:
        return str(load_schema(config.resolve_path(uri)).name)
    except (SchemaError, OSError) as exc:
        raise UserError(f"environment {config.name}: dataset.schema {uri}: {exc}") from None


def dataset_group(backend: Backend, config: EnvironmentConfig, dataset: str | None) -> GroupChoice:
    """The group of ``dataset`` (``--dataset``), or of the environment's dataset when None;
    read once, on first use."""

    @cache
    def choose() -> str:
        name = dataset if dataset is not None else environment_dataset(backend, config)
        return model_group_name(backend.outputs.model_package_group_name, name)

    return choose


def stack_groups(backend: Backend) -> list[str]:
    """Every group of this stack's datasets (and the stack's own group, which holds the
    versions registered before groups were per dataset)."""
    base = backend.outputs.model_package_group_name
    return [g for g in backend.registry.list_groups() if g == base or g.startswith(f"{base}-")]


def list_versions(
    backend: Backend, group: str, status: ApprovalStatus | None = None
) -> list[ModelPackage]:
    """Every version of ``group`` (none before the first registration)."""
    registry = backend.registry
    return registry.list_versions(group, status) if group in registry.list_groups() else []


def set_status(
    backend: Backend, group: str, env: str, version: int, status: ApprovalStatus, reason: str
) -> ModelPackage:
    """Approve or reject a version; unknown versions and refused transitions are user errors."""
    if group not in backend.registry.list_groups():
        raise UserError(
            f"model package group {group} has no versions yet; train and register one with "
            f"'orchestrator run --env {env}' first, or name another dataset with --dataset"
        )
    try:
        return backend.registry.set_status(group, version, status, reason)
    except RegistryError as exc:
        raise UserError(str(exc)) from None


def resolve(
    backend: Backend, spec: str | int | None, group: GroupChoice, purpose: str = "served"
) -> ModelPackage:
    """The Approved version ``spec`` names: a version number or ``latest-approved``/None (the
    highest Approved version) in ``group``, or an ARN of any of the stack's groups."""
    registry = backend.registry
    if spec is None or spec == LATEST_APPROVED:
        name = group()
        package = registry.latest_approved(name) if name in registry.list_groups() else None
        if package is None:
            raise UserError(
                f"model package group {name} has no Approved version; run 'orchestrator run', "
                "approve one with 'orchestrator models approve <version>', or name another "
                "dataset with --dataset"
            )
        return package
    if isinstance(spec, int) or spec.isdigit():
        name, version = group(), int(spec)
    else:
        name, version = _arn_of_stack(backend, spec)
    try:
        package = registry.get(name, version)
    except RegistryError as exc:
        hint = (
            "" if "models list" in str(exc) else "; list versions with 'orchestrator models list'"
        )
        raise UserError(f"{exc}{hint}") from None
    if package.approval_status != "Approved":
        raise UserError(
            f"version {package.version} is {package.approval_status}; only Approved versions are "
            f"{purpose}. Approve it with 'orchestrator models approve {package.version}'"
        )
    return package


def _arn_of_stack(backend: Backend, spec: str) -> tuple[str, int]:
    try:
        arn_group, version = parse_model_package_arn(spec)
    except RegistryError as exc:
        raise UserError(f"{exc}, a version number, or {LATEST_APPROVED}") from None
    base = backend.outputs.model_package_group_name
    if arn_group != base and not arn_group.startswith(f"{base}-"):
        raise UserError(
            f"{spec} belongs to group {arn_group!r}, not one of this stack's groups "
            f"({base}-<dataset>); pass a version of the stack's groups"
        )
    return arn_group, version


def ensure_dataset_group(backend: Backend, config: EnvironmentConfig, dataset: str) -> str:
    """Create ``dataset``'s group if it does not exist yet; its name. CreateModelPackage (the
    pipeline's Register step) registers only into an existing group, so, as the SageMaker SDK
    does before it registers, the group is made before the pipeline runs."""
    group = model_group_name(backend.outputs.model_package_group_name, dataset)
    try:
        backend.registry.ensure_group(
            group,
            f"{config.project} {config.name}: models trained on dataset {dataset}",
            tags={"project": config.project, "environment": config.name},
        )
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    return group
