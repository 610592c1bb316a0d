"""Deploy and rollback flows: blue/green onto the environment's endpoint, through the protocol.

The backend's endpoint manager does the work (SageMaker's UpdateEndpoint with alarm rollback,
or the local switching proxy); this module names the version, keeps the endpoint's request
schema unless told otherwise, records every attempt in the deployment history
(:mod:`orchestrator.flows.history`) and shapes what is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Literal

from orchestrator.backends.base import Backend, DeploymentResult, Progress
from orchestrator.backends.model_registry import ModelPackage, RegistryError
from orchestrator.backends.model_registry import parse_model_package_arn as parse_arn
from orchestrator.backends.polling import PollSettings, WaitTimeout
from orchestrator.errors import OperationFailed, UserError
from orchestrator.flows import history
from orchestrator.flows.models import GroupChoice, resolve
from orchestrator.flows.schema_guard import check_same_schema

DEFAULT_ENDPOINT_TIMEOUT_SECONDS = 3600.0
Command = Literal["deploy", "rollback", "run", "endpoint-test"]


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
    result = serve(backend, package, poll, progress, "deploy", recreate_failed=recreate_failed)
    return summary(result), f"{package.group} v{package.version}"


def serve(
    backend: Backend,
    package: ModelPackage,
    poll: PollSettings,
    progress: Progress,
    command: Command,
    *,
    recreate_failed: bool = False,
) -> DeploymentResult:
    """``backend.endpoints.deploy`` of ``package``, its outcome appended to the history."""
    return _recorded(
        backend,
        command,
        package,
        lambda: backend.endpoints.deploy(package, poll, progress, recreate_failed=recreate_failed),
    )


def rollback(backend: Backend, poll: PollSettings, progress: Progress) -> dict[str, Any]:
    """Serve the config that served before the current one."""
    return summary(
        _recorded(backend, "rollback", None, lambda: backend.endpoints.rollback(poll, progress))
    )


def _recorded(
    backend: Backend,
    command: Command,
    package: ModelPackage | None,
    act: Callable[[], DeploymentResult],
) -> DeploymentResult:
    """Run ``act`` and append what it did (or how it failed) to the history."""
    before = _serving_package(backend)
    try:
        result = act()
    except OperationFailed as exc:
        _append(backend, command, package, before, _failure(exc), str(exc), None)
        raise
    served = package or _package_of(backend, result.model_package_arn)
    _append(backend, command, served, before, "InService", "", result)
    return result


def _failure(exc: OperationFailed) -> history.Outcome:
    if isinstance(exc, WaitTimeout):
        return "TimedOut"
    # An update that did not take names the config that still serves (DeploymentRolledBack).
    return "RolledBack" if getattr(exc, "serving_config", None) else "Failed"


def _append(
    backend: Backend,
    command: Command,
    package: ModelPackage | None,
    before: str | None,  # the package ARN serving before, where known
    outcome: history.Outcome,
    reason: str,
    result: DeploymentResult | None,
) -> None:
    """``result`` None: the command failed (``reason``) and the action is unknown ("none")."""
    event = history.DeploymentEvent(
        at=history.now(),
        who=backend.identity(),
        environment=backend.outputs.environment,
        endpoint=backend.outputs.endpoint_name,
        command=command,
        action=result.action if result else "none",
        outcome=outcome,
        reason=reason,
        package=history.PackageRecord.of(package) if package else None,
        package_before=before,
        config_before=result.previous_config_name if result else None,
        config_after=result.endpoint_config_name if result else None,
    )
    try:
        history.record(backend, event)
    except (OperationFailed, UserError, OSError) as exc:
        raise OperationFailed(
            f"the endpoint {event.endpoint} is {outcome} but its deployment history could not be "
            f"recorded: {exc}; record it by hand or deploy again (a no-op is recorded)"
        ) from None


def _serving_package(backend: Backend) -> str | None:
    try:
        return backend.endpoints.serving()
    except OperationFailed:
        return None  # the deploy itself reports what is wrong with the endpoint


def _package_of(backend: Backend, arn: str | None) -> ModelPackage | None:
    if not arn:
        return None
    try:
        group, version = parse_arn(arn)
        return backend.registry.get(group, version)
    except RegistryError:
        return None


def summary(result: DeploymentResult) -> dict[str, Any]:
    """The result as JSON-ready data (tuples as lists, autoscaling as its fields)."""
    data = asdict(result)
    if result.autoscaling is not None and not isinstance(data["autoscaling"], dict):
        data["autoscaling"] = asdict(result.autoscaling)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}


def rollback_to(
    backend: Backend,
    spec: str,
    group: GroupChoice,
    poll: PollSettings,
    progress: Progress,
    replace_schema: bool = False,
) -> tuple[dict[str, Any], str]:
    """Serve again the version ``spec`` names, which the history must show served InService
    on this endpoint (refused, exit 2, otherwise: a version that never served is a deploy).
    Having served once does not make its request schema today's: the same guard as a deploy
    refuses a version whose schema differs from the serving one unless ``replace_schema``."""
    package = resolve(backend, spec, group, purpose="served")
    served = history.served(history.read(backend))
    if not any(e.package is not None and e.package.arn == package.arn for e in served):
        seen = sorted({f"{e.package.group} v{e.package.version}" for e in served if e.package})
        raise UserError(
            f"{package.group} v{package.version} never served on endpoint "
            f"{backend.outputs.endpoint_name} (its history shows "
            f"{', '.join(seen) or 'no version served yet'}); roll back to one of those, or "
            "deploy it with `orchestrator deploy --model-package ...`"
        )
    check_same_schema(backend, package, replace_schema, progress)
    backend.images.check_serving(package.image_uri)
    result = serve(backend, package, poll, progress, "rollback")
    done = summary(result)
    if result.action != "unchanged":  # a blue/green update, which here is a rollback
        done["action"] = "rolled-back"
    return done, f"{package.group} v{package.version}"
