"""Where a local environment keeps its state, and the objects built on it.

One folder (``local.state_dir`` of the environment file) holds the artifact store that stands in
for S3, the execution records, the registry database, unpacked endpoint models and batch
outputs. Every local command builds its runner, registry and endpoint from here, so they all
agree on the layout.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.progress import ProgressCallback
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.local.runner import LocalRunner
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs


class LocalWorkspace:
    """The state folder of one local environment."""

    def __init__(self, config: EnvironmentConfig) -> None:
        self.config = config
        self.root = config.state_dir
        self.store_root = self.root / "store"
        self.state_root = self.root / "state"
        self.registry_path = self.root / "registry.sqlite"
        self.endpoints_root = self.root / "endpoints"
        self.batch_root = self.root / "batch"
        self.outputs = StackOutputs.local(
            project=config.project, environment=config.name, region=config.region
        )

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.store_root)

    def local_path(self, uri: str) -> Path:
        """The file or folder an ``s3://`` URI stands for in the local store."""
        return self.store.path(uri)

    def registry(self) -> LocalModelRegistry:
        self.root.mkdir(parents=True, exist_ok=True)
        return LocalModelRegistry(self.registry_path)

    def runner(self, progress: ProgressCallback | None = None) -> LocalRunner:
        return LocalRunner(self.store_root, self.state_root, self.registry(), progress)
