"""The local backend assembled for one environment: everything under its state folder."""

from __future__ import annotations

from orchestrator.backends.base import Backend
from orchestrator.backends.local.endpoint_manager import LocalEndpointManager
from orchestrator.backends.local.images import LocalImageSource
from orchestrator.backends.local.logs import LocalLogReader
from orchestrator.backends.local.pipeline_runner import LocalPipelineRunner
from orchestrator.backends.local.progress import ProgressCallback
from orchestrator.backends.local.transformer import LocalBatchTransformer
from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.backends.metrics import EmfFileSink
from orchestrator.settings.environment import EnvironmentConfig


def local_backend(
    config: EnvironmentConfig,
    *,
    events: ProgressCallback | None = None,
    port: int = 0,
) -> Backend:
    """The local backend of ``config``; ``events`` sees the runner's step events as they
    happen, ``port`` is the endpoint's (0: any free port)."""
    workspace = LocalWorkspace(config)
    endpoints = LocalEndpointManager(workspace, port=port, workers=config.endpoint.workers or 1)
    # The local "stack" names the pipeline after the environment file, as an aws stack names it
    # in its outputs, so the flows read the name from the outputs on both backends.
    outputs = workspace.outputs.model_copy(update={"pipeline_name": config.pipeline_name})
    return Backend(
        name="local",
        outputs=outputs,
        pipelines=LocalPipelineRunner(
            workspace.runner(progress=events), workspace.root / "pipelines"
        ),
        registry=workspace.registry(),
        endpoints=endpoints,
        transformer=LocalBatchTransformer(workspace, endpoints),
        artifacts=workspace.store,
        images=LocalImageSource(outputs.ecr_repository_url),
        serves_after_run=True,
        work_dir=workspace.batch_root,
        logs=LocalLogReader(workspace.endpoints_root),
        metrics=EmfFileSink(),
    )
