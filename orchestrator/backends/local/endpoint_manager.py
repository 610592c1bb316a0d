"""The :class:`~orchestrator.backends.base.EndpointManager` of the local backend.

A local endpoint lives as long as the process that started it (``orchestrator run`` proves a
fresh model serves, ``orchestrator endpoint serve`` serves in the foreground), so the manager
starts its :class:`LocalEndpoint` on first deploy and remembers the versions it served, which is
what a rollback returns to. Deploys are blue/green as on SageMaker: the new version must answer
a test request before traffic moves, otherwise the old one keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from orchestrator.backends.base import DeployAction, DeploymentResult, Invocation, Progress
from orchestrator.backends.local.capture import capture_environment
from orchestrator.backends.local.endpoint import LocalEndpoint, serve_in_foreground
from orchestrator.backends.local.serving_errors import EndpointError
from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import UserError

if TYPE_CHECKING:
    from orchestrator.backends.polling import PollSettings

LOCAL_ENDPOINT_NAME = "local"


class LocalEndpointManager:
    """Blue/green deploys onto one loopback endpoint (started on the first deploy)."""

    def __init__(self, workspace: LocalWorkspace, *, port: int = 0, workers: int = 1) -> None:
        self.workspace = workspace
        self.port = port
        self.workers = workers
        self._endpoint: LocalEndpoint | None = None
        self._history: list[ModelPackage] = []

    @property
    def endpoint_name(self) -> str:
        return LOCAL_ENDPOINT_NAME

    @property
    def url(self) -> str | None:
        """The serving URL (``{url}/invocations``), None while no version serves."""
        return self._endpoint.url if self.serving() is not None and self._endpoint else None

    def _started(self) -> LocalEndpoint:
        if self._endpoint is None:
            self._endpoint = LocalEndpoint(
                self.workspace.store_root,
                self.workspace.endpoints_root,
                port=self.port,
                workers=self.workers,
                extra_env=capture_environment(self.workspace),
            )
        return self._endpoint

    def deploy(
        self,
        package: ModelPackage,
        poll: PollSettings,
        progress: Progress,
        *,
        recreate_failed: bool = False,
    ) -> DeploymentResult:
        if recreate_failed:
            raise UserError(
                "--recreate-failed applies to a SageMaker endpoint left Failed; a local endpoint "
                "is never Failed: drop the flag or pick an aws environment (--env dev)"
            )
        if package.approval_status != "Approved":
            # A user's mistake (exit 2), refused before any server starts, as on SageMaker.
            raise UserError(
                f"version {package.version} of {package.group} is {package.approval_status}; "
                "only Approved versions are deployed: approve it first (`orchestrator models "
                "approve`)"
            )
        previous = self._history[-1] if self._history else None
        if previous is not None and previous.arn == package.arn:
            progress(f"model version {package.version} already serves locally; nothing to do")
            before = self._history[-2] if len(self._history) > 1 else None
            return _result("unchanged", package, before)
        progress(f"deploying model version {package.version} to a local endpoint")
        self._started().deploy(package)
        self._history.append(package)
        return _result("created" if previous is None else "updated", package, previous)

    def rollback(self, poll: PollSettings, progress: Progress) -> DeploymentResult:
        if len(self._history) < 2:
            raise UserError(
                "the local endpoint has served no earlier version in this process; there is "
                "nothing to roll back to (deploy the version you want instead)"
            )
        serving, target = self._history[-1], self._history[-2]
        progress(f"rolling the local endpoint back: v{serving.version} -> v{target.version}")
        self._started().deploy(target, check_compatibility=False)
        self._history = self._history[:-1]
        return _result("rolled-back", target, serving)

    def serving(self) -> str | None:
        active = self._endpoint.active if self._endpoint is not None else None
        return active.arn if active is not None else None

    def invoke(self, body: bytes, content_type: str, accept: str) -> Invocation:
        if self._endpoint is None or self._endpoint.active is None:
            raise EndpointError("the local endpoint serves no model yet; deploy one first")
        return self._endpoint.invoke(body, content_type=content_type, accept=accept)

    def serve_forever(self, package: ModelPackage, ready: Callable[[str], None]) -> None:
        """Deploy ``package`` and serve until SIGINT/SIGTERM (``orchestrator endpoint serve``);
        ``ready`` is told the URL once the model answers. A port that cannot be bound is a user
        error naming the port."""
        try:
            endpoint = self._started()
        except (OSError, EndpointError) as exc:
            raise UserError(
                f"cannot listen on 127.0.0.1:{self.port} ({exc}); pick another --port"
            ) from None
        endpoint.deploy(package)
        self._history.append(package)
        ready(endpoint.url)
        serve_in_foreground(endpoint)
        self._endpoint = None  # serve_in_foreground stopped it

    def close(self) -> None:
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None


def _result(
    action: DeployAction, package: ModelPackage, previous: ModelPackage | None
) -> DeploymentResult:
    def config(p: ModelPackage) -> str:
        return f"{p.group}-v{p.version}"

    return DeploymentResult(
        endpoint_name=LOCAL_ENDPOINT_NAME,
        action=action,
        endpoint_config_name=config(package),
        previous_config_name=config(previous) if previous is not None else None,
        model_name=config(package),
        model_package_arn=package.arn,
    )
