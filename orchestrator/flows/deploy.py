"""Deploy and rollback flows: blue/green onto the environment's endpoint, through the protocol.

The backend's endpoint manager does the work (SageMaker's UpdateEndpoint with alarm rollback,
or the local switching proxy); this module names the version and shapes what is printed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orchestrator.backends.base import Backend, DeploymentResult, Progress
from orchestrator.backends.polling import PollSettings
from orchestrator.flows.models import GroupChoice, resolve
from orchestrator.flows.schema_guard import check_same_schema

DEFAULT_ENDPOINT_TIMEOUT_SECONDS = 3600.0


def deploy(
    backend: Backend,
    spec: str | int | None,
    group: GroupChoice,
    poll: PollSettings,
    progress: Progress,
    *,
    recreate_failed: bool = False,
    replace_schema: bool = False,
) -> tuple[dict[str, Any], str]:
    """(deployment summary, "group vN") for the version ``spec`` names in ``group`` (default
    latest). ``recreate_failed``: an endpoint left Failed is deleted and created with this
    version (without it, a deploy onto a Failed endpoint stops, exit 1, before anything
    changes). ``replace_schema``: serve it even where its request schema differs from the
    serving version's (refused otherwise, exit 2)."""
    package = resolve(backend, spec, group, purpose="deployed")
    check_same_schema(backend, package, replace_schema, progress)  # before anything changes
    backend.images.check_serving(package.image_uri)
    result = backend.endpoints.deploy(package, poll, progress, recreate_failed=recreate_failed)
    return summary(result), f"{package.group} v{package.version}"


def rollback(backend: Backend, poll: PollSettings, progress: Progress) -> dict[str, Any]:
    return summary(backend.endpoints.rollback(poll, progress))


def summary(result: DeploymentResult) -> dict[str, Any]:
    """The result as JSON-ready data (tuples as lists, autoscaling as its fields)."""
    data = asdict(result)
    if result.autoscaling is not None and not isinstance(data["autoscaling"], dict):
        data["autoscaling"] = asdict(result.autoscaling)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}
