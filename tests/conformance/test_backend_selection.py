"""``open_backend`` gives a backend whose members are the protocols', for both kinds; a local
environment never loads the AWS SDK (boto3), which keeps the local path light and offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestrator.backends.base import (
    ArtifactStore,
    BatchTransformer,
    EndpointManager,
    ModelRegistry,
    PipelineRunner,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_member_satisfies_its_protocol(case: Any) -> None:
    backend = case.backend
    assert isinstance(backend.pipelines, PipelineRunner)
    assert isinstance(backend.registry, ModelRegistry)
    assert isinstance(backend.endpoints, EndpointManager)
    assert isinstance(backend.transformer, BatchTransformer)
    assert isinstance(backend.artifacts, ArtifactStore)
    assert backend.name == ("local" if case.name == "local" else "aws")


def test_a_local_backend_does_not_load_boto3(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from orchestrator.settings.environment import load_environment\n"
        "from orchestrator.backends.select import open_backend\n"
        f"open_backend(load_environment('local', Path({str(REPO / 'environments')!r})))\n"
        "print('boto3' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
