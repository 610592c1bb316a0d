"""What the promote tests measure besides the outcome: the AWS calls a command made (every call
goes through botocore's ``_make_api_call``, where tests/aws_call_recorder.py records the
orchestrator's calls for the preflight) and the files of a target registry's storage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

WRITE_PREFIXES = (
    "Put", "Create", "Update", "Upload", "Copy", "Delete", "Complete", "Initiate", "Tag",
    "Add", "Start", "Register",
)  # fmt: skip


@contextmanager
def calls_made() -> Iterator[list[str]]:
    """``service:Operation`` of every AWS call made inside the block, in order."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: Any) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation}")
        return original(self, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", record)
        yield calls


def writes(calls: list[str]) -> list[str]:
    """The calls among ``calls`` that change something (by AWS's naming of operations)."""
    return [c for c in calls if c.partition(":")[2].startswith(WRITE_PREFIXES)]


def registry_files(world: Any, environment: str) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime ns) of every file the environment's registry stores."""
    host = world.registries["dev" if environment == "dev" else "staging"]
    storage = next(
        p
        for p in world.tmp.glob("r-*")
        if (p / "config.yml").read_text().count(host.host.rpartition(":")[2])
    )
    return {
        str(path.relative_to(storage)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in Path(storage, "storage").rglob("*")
        if path.is_file()
    }
