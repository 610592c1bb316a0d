"""A deploy must not change, unasked, what an endpoint's clients send and receive.

The endpoint's clients were written against the serving version's dataset schema: its features
in order, their types and categories, and the classes it answers with. A version trained on
another schema (another dataset, or a retrained one with a column added) would answer those
clients with errors or with predictions for other classes. So a deploy compares the two
versions' serving signatures (:func:`orchestrator.data.identity.serving_signature`, recorded on
each package at registration) and refuses a change unless given ``--replace-schema``.
"""

from __future__ import annotations

from orchestrator.backends.base import Backend, Progress
from orchestrator.backends.model_registry import (
    ModelPackage,
    RegistryError,
    parse_model_package_arn,
)
from orchestrator.errors import UserError


def contract(package: ModelPackage) -> str:
    """What identifies a package's request schema: its serving signature; for a version
    registered before signatures were recorded, its schema's name."""
    signature = package.metadata.get("serving_signature")
    if signature:
        return f"signature {signature}"
    return f"schema {package.metadata.get('schema_name', '<unrecorded>')}"


def _same(serving: ModelPackage, new: ModelPackage) -> bool:
    if "serving_signature" in serving.metadata and "serving_signature" in new.metadata:
        return serving.metadata["serving_signature"] == new.metadata["serving_signature"]
    return serving.metadata.get("schema_name") == new.metadata.get("schema_name")


def _describe(package: ModelPackage) -> str:
    dataset = package.metadata.get("schema_name", "an unrecorded dataset")
    return f"{package.group} v{package.version} (dataset {dataset}, {contract(package)})"


def check_same_schema(
    backend: Backend, package: ModelPackage, replace_schema: bool, progress: Progress
) -> None:
    """Refuse (exit 2) to deploy ``package`` where the endpoint serves a version with another
    request schema, unless ``replace_schema``; say so when it is replaced."""
    serving_arn = backend.endpoints.serving()
    if serving_arn is None or serving_arn == package.arn:
        return
    try:
        group, version = parse_model_package_arn(serving_arn)
        serving = backend.registry.get(group, version)
    except RegistryError:
        serving = None
    if serving is not None and _same(serving, package):
        return
    what = _describe(serving) if serving is not None else f"{serving_arn} (no longer registered)"
    if replace_schema:
        progress(f"--replace-schema: {_describe(package)} replaces {what} on the endpoint")
        return
    raise UserError(
        f"endpoint {backend.endpoints.endpoint_name} serves {what}; {_describe(package)} "
        "expects other requests (features, types or classes), so the endpoint's clients would "
        "get errors. Deploy a version of the serving dataset (--dataset), or pass "
        "--replace-schema once its clients are ready for the new schema"
    )
