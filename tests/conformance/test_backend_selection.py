"""``open_backend``, the one place that picks local or AWS, gives a backend whose members satisfy
the protocols for both kinds; a local environment never loads the AWS SDK (boto3), which keeps
the local path light and offline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conformance_kit import local_config, moto_account, write_stack_outputs

from orchestrator.backends.base import (
    ArtifactStore,
    Backend,
    BatchTransformer,
    EndpointManager,
    ModelRegistry,
    PipelineRunner,
)
from orchestrator.backends.select import StackSource, open_backend

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def _opened(kind: str, tmp: Path) -> Iterator[Backend]:
    """``open_backend`` of a local environment, or of a dev environment whose stack outputs
    are a ``--stack-outputs`` file naming moto's buckets and keys."""
    if kind == "local":
        with open_backend(local_config(tmp)) as backend:
            yield backend
        return
    with moto_account(tmp) as account:
        saved = write_stack_outputs(account.outputs, tmp / "outputs.json")
        with open_backend(account.config, StackSource(outputs_file=saved)) as backend:
            yield backend


@pytest.mark.parametrize("kind", ["local", "aws-moto"])
def test_open_backend_gives_members_that_satisfy_the_protocols(kind: str, tmp_path: Path) -> None:
    with _opened(kind, tmp_path) as backend:
        assert backend.name == ("local" if kind == "local" else "aws")
        assert isinstance(backend.pipelines, PipelineRunner)
        assert isinstance(backend.registry, ModelRegistry)
        assert isinstance(backend.endpoints, EndpointManager)
        assert isinstance(backend.transformer, BatchTransformer)
        assert isinstance(backend.artifacts, ArtifactStore)


def test_a_local_backend_does_not_load_boto3(tmp_path: Path) -> None:
    """Opened as the CLI opens it: the repository's local environment file. (botocore itself
    is loaded: the settings and the definition validator read its SageMaker service model.)"""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from orchestrator.settings.environment import load_environment\n"
        "from orchestrator.backends.select import open_backend\n"
        f"with open_backend(load_environment('local', Path({str(REPO / 'environments')!r}))):\n"
        "    print(sorted(m for m in sys.modules if m.split('.')[0] == 'boto3'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
