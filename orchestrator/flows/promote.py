"""``promote``: train once, then give the same model to the next environment.

What staging tests and prod serves must be the model dev trained and evaluated, not a retrained
look-alike. So an Approved package of the source environment becomes a package of the target
environment's group for the same dataset, *copied* into the target account (docs/promotion.md
says why copying beats cross-account sharing): the model artifact, the evaluation report, the
dataset schema and the held-out rows endpoint-test sends go to the target's artifacts bucket
under ``promoted/<source account>/<group>/v<version>/`` (encrypted with the target's key), the
image goes to the target's repository with the same digest, and the package is registered last,
so a failure halfway leaves no package behind. Its lineage names where it came from
(``promoted_from`` and the source's own lineage: commit, data version, metrics). Promoting the
same source package again finds that package and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage, RegistryError
from orchestrator.data.identity import model_group_name
from orchestrator.errors import OperationFailed, UserError
from orchestrator.flows.models import dataset_group, ensure_dataset_group, resolve
from orchestrator.flows.monitor_locations import baseline_uris
from orchestrator.flows.promote_artifacts import BASELINE_COPIES, copy_artifacts, to_copy, wanted
from orchestrator.images.copy import Endpoint, copy_image, has_manifest
from orchestrator.images.reference import BadImageReference, split_reference
from orchestrator.settings.environment import EnvironmentConfig

Progress = Callable[[str], None]
PROMOTED_FROM = "promoted_from"
ORIGIN = "origin_package"
PROD = "prod"


def source_package(
    backend: Backend, config: EnvironmentConfig, spec: str, dataset: str | None
) -> ModelPackage:
    """The Approved package of the source environment that ``spec`` names."""
    return resolve(backend, spec, dataset_group(backend, config, dataset), purpose="promoted")


def target_group(target: Backend, package: ModelPackage) -> tuple[str, str]:
    """(dataset name, the target stack's group for it) of a source package."""
    dataset = package.metadata.get("schema_name")
    if not dataset:
        raise UserError(
            f"{package.group} v{package.version} records no schema_name (it was registered "
            "outside the pipeline), so its dataset's group in the target is unknown; promote a "
            "version the pipeline registered"
        )
    return dataset, model_group_name(target.outputs.model_package_group_name, dataset)


def already_promoted(target: Backend, group: str, package: ModelPackage) -> ModelPackage | None:
    """The target package promoted from ``package`` before, if any."""
    try:
        versions = target.registry.list_versions(group)
    except RegistryError:
        return None  # no group yet: nothing was promoted into it
    return next((p for p in versions if p.metadata.get(PROMOTED_FROM) == package.arn), None)


def approval_status(config: EnvironmentConfig) -> str:
    """prod: PendingManualApproval, always (a person approves what prod serves). Elsewhere
    Approved: the package passed the gate and was approved in the source, and staging exists
    to deploy and endpoint-test it at once (``pipeline.approval`` governs what the *pipeline*
    registers, not what was already approved upstream)."""
    return "PendingManualApproval" if config.name == PROD else "Approved"


def image_digest(package: ModelPackage) -> str:
    try:
        _, wanted = split_reference(package.image_uri)
    except BadImageReference as exc:
        raise UserError(f"the package's image cannot be promoted: {exc}") from None
    if wanted.digest is None:
        raise UserError(
            f"{package.group} v{package.version} names its image by tag ({package.image_uri}); "
            "only an image pinned by digest can be promoted as the very image evaluated"
        )
    return wanted.digest


def lineage(
    package: ModelPackage, copied: dict[str, str], source: Backend, source_name: str
) -> dict[str, str]:
    """The target package's CustomerMetadataProperties: the source's, pointed at the copies,
    plus where it came from."""
    metadata = {k: copied.get(v, v) for k, v in package.metadata.items()}
    for key, uri in zip(BASELINE_COPIES, baseline_uris(package), strict=True):
        if uri in copied:  # the copied baseline, found by monitor run and the AWS registry
            metadata[key] = copied[uri]
    metadata.update(
        {
            PROMOTED_FROM: package.arn,
            # where it was trained, however many promotions ago (prod's comes through staging)
            ORIGIN: package.metadata.get(ORIGIN) or package.arn,
            "source_account": source.outputs.account_id or "unknown",
            "source_environment": source_name,
            "source_model_data": package.model_data_url,
            "source_image": package.image_uri,
        }
    )
    return metadata


def _prefix(source: Backend, target: Backend, package: ModelPackage) -> str:
    return (
        f"s3://{target.outputs.artifacts_bucket}/promoted/{source.outputs.account_id}/"
        f"{package.group}/v{package.version}/"
    )


def _existing(target: Backend, package: ModelPackage) -> tuple[str, str, ModelPackage | None]:
    """(dataset, target group, the package promoted from ``package`` before or None)."""
    dataset, group = target_group(target, package)
    return dataset, group, already_promoted(target, group, package)


def plan(
    source: Backend,
    target: Backend,
    target_config: EnvironmentConfig,
    package: ModelPackage,
    registries: tuple[Endpoint, Endpoint],
) -> dict[str, Any]:
    """``--dry-run``: what :func:`promote` would do, read from both sides; nothing is written."""
    _, group, existing = _existing(target, package)
    summary: dict[str, Any] = {"source": package.arn, "group": group, "dry_run": True}
    if existing is not None:
        return {**summary, "action": "unchanged", "target": existing.arn,
                "approval_status": existing.approval_status}  # fmt: skip
    digest = image_digest(package)
    if not has_manifest(registries[0], digest):
        raise OperationFailed(f"{package.image_uri} is not in the source repository; cannot copy")
    prefix = _prefix(source, target, package)
    missing = [uri for uri in wanted(package).values() if not source.artifacts.exists(uri)]
    if missing:
        raise OperationFailed(f"the source package points at objects that are gone: {missing}")
    copies = {uri: f"{prefix}{name}/" for name, uri in to_copy(source, package).items()}
    return {**summary, "action": "would-create", "target": None,
            "approval_status": approval_status(target_config),
            "image": registries[1].repository.pinned(digest),
            "image_in_target": has_manifest(registries[1], digest), "copies": copies}  # fmt: skip


def promote(
    source: Backend,
    target: Backend,
    configs: tuple[EnvironmentConfig, EnvironmentConfig],
    package: ModelPackage,
    registries: tuple[Endpoint, Endpoint],
    progress: Progress,
) -> dict[str, Any]:
    """Copy ``package`` (the source's) into the target and register it there (see the module
    docstring); what was done."""
    source_config, target_config = configs
    dataset, group, existing = _existing(target, package)
    summary: dict[str, Any] = {"source": package.arn, "group": group, "dry_run": False}
    if existing is not None:
        progress(f"{package.arn} was promoted before as {existing.arn}; nothing to do")
        return {**summary, "action": "unchanged", "target": existing.arn,
                "approval_status": existing.approval_status}  # fmt: skip
    image, report = copy_image(*registries, image_digest(package))
    target.images.check_serving(image)  # there, by digest; protected from the lifecycle policy
    progress(f"copied image {package.image_uri} -> {image} ({report.blobs_uploaded} blobs "
             f"uploaded, {report.blobs_present} already there)")  # fmt: skip
    copied = copy_artifacts(source, target, package, _prefix(source, target, package), progress)
    ensure_dataset_group(target, target_config, dataset)
    registered = target.registry.register(  # last: a failure above registers nothing
        group,
        model_data_url=copied[package.model_data_url],
        image_uri=image,
        approval_status=approval_status(target_config),  # type: ignore[arg-type]
        description=f"{package.description} (promoted from {source_config.name})".strip(),
        metrics=dict(package.metrics),
        metrics_uri=copied.get(package.metrics_uri or "", None),
        metadata=lineage(package, copied, source, source_config.name),
    )
    return {**summary, "action": "created", "target": registered.arn, "image": image,
            "approval_status": registered.approval_status, "copied": copied,
            "image_copy": report.to_dict()}  # fmt: skip
