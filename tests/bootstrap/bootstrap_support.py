"""Helpers of the bootstrap tests (imported by name; the fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"
READ_ONLY = ("Get", "List", "Describe", "Head")


def write_environment(folder: Path, name: str = "dev", **changes: Any) -> Path:
    """environments/dev.yaml as shipped, in moto's account and ``REGION``, with ``changes``."""
    data = yaml.safe_load((REPO / "environments" / "dev.yaml").read_text())
    data.update(name=name, region=REGION, account_id=ACCOUNT)
    data["terraform"]["network"]["availability_zones"] = [f"{REGION}a", f"{REGION}b"]
    data.update(changes)
    region = data["region"]
    data["terraform"]["network"]["availability_zones"] = [f"{region}a", f"{region}b"]
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


class CallLog:
    """Every operation the sessions bootstrap opens send, in order."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def record(self, model: Any, **_: Any) -> None:
        self.operations.append(f"{model.service_model.service_name}:{model.name}")

    @property
    def mutating(self) -> list[str]:
        return [op for op in self.operations if not op.split(":")[1].startswith(READ_ONLY)]
