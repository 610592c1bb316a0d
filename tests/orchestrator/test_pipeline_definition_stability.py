"""The definition text depends on what the inputs say, not on how they are ordered (issue #24):
an environment file with every mapping's keys in reverse order, hyperparameters and tuning
ranges listed the other way round, and stack outputs listing subnets and security groups in
another order give the same bytes; and building twice, a moment apart, gives the same bytes (no
timestamps, ids or random names). Across processes and hash seeds: the subprocess tests in
``test_cli_pipeline_definition*.py``."""

# ruff: noqa: F811  (pytest fixtures imported from test_cli_aws are parameters here)
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from ml_containers.data.bundled import write_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import envdir, outputs_file, stack_outputs  # noqa: F401  (fixtures)

from orchestrator.flows.definition_text import OfflineInputs, aws_definition
from orchestrator.settings.environment import load_environment

DIGEST = "sha256:" + "cd" * 32
STATIC = {"num_round": "100", "early_stopping_rounds": "10", "seed": "7"}
RANGES = [
    {"name": "eta", "kind": "continuous", "min": 0.05, "max": 0.3},
    {"name": "max_depth", "kind": "integer", "min": 3, "max": 6},
    {"name": "subsample", "kind": "continuous", "min": 0.5, "max": 1.0},
]


SUBNETS = ["subnet-0123456789abcdef1", "subnet-0123456789abcdef0"]
GROUPS = ["sg-0123456789abcdef1", "sg-0123456789abcdef0"]


def _outputs(path: Path, subnets: list[str], groups: list[str], reverse: bool = False) -> Path:
    """A stack outputs file; ``reverse``: its outputs and their fields in reverse order."""
    data = stack_outputs(
        private_subnet_ids=subnets, sagemaker_security_group_ids=groups
    ).to_terraform_json()
    path.write_text(json.dumps(_reversed(data) if reverse else data))
    return path


def _reversed(value: Any) -> Any:
    """Every mapping's keys in reverse order, recursively (lists keep their order)."""
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def _text(envdir: Path, name: str, data: dict[str, Any], outputs: Path, schema: Path) -> str:
    (envdir / f"{name}.yaml").write_text(yaml.safe_dump({**data, "name": name}, sort_keys=False))
    config = load_environment(name, envdir)
    built = aws_definition(config, OfflineInputs(outputs, schema, DIGEST), lambda _note: None)
    return built.to_json()


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "schema.yaml"
    write_schema("breast_cancer", path)
    return path


def test_the_text_does_not_depend_on_the_order_of_the_inputs(
    envdir: Path, schema_file: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load((envdir / "dev.yaml").read_text())
    data["pipeline"]["tuning"].update(static_hyperparameters=STATIC, ranges=RANGES)
    first = _text(envdir, "dev", data, _outputs(tmp_path / "a.json", SUBNETS, GROUPS), schema_file)

    shuffled = _reversed(data)
    shuffled["pipeline"]["tuning"]["ranges"] = list(reversed(RANGES))
    other = _outputs(tmp_path / "b.json", SUBNETS[::-1], GROUPS[::-1], reverse=True)
    (envdir / "dev.yaml").unlink()
    second = _text(envdir, "dev", shuffled, other, schema_file)
    assert second == first
    # The settings took effect (the comparison is not of two defaults).
    document = json.loads(first)
    tune = next(s for s in document["Steps"] if s["Name"] == "Tune")["Arguments"]
    assert tune["TrainingJobDefinition"]["StaticHyperParameters"] == dict(sorted(STATIC.items()))
    assert tune["TrainingJobDefinition"]["VpcConfig"]["Subnets"] == sorted(SUBNETS)


def test_building_twice_a_moment_apart_gives_the_same_text(
    envdir: Path, outputs_file: Path, schema_file: Path
) -> None:
    data = yaml.safe_load((envdir / "dev.yaml").read_text())
    first = _text(envdir, "dev", data, outputs_file, schema_file)
    time.sleep(1.1)  # a timestamp with second resolution would differ
    assert _text(envdir, "dev", data, outputs_file, schema_file) == first
