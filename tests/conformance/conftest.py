"""Backends the registry conformance suite runs against.

Each entry of ``REGISTRY_BACKENDS`` builds a fresh, empty registry for one test. The suite in
``test_registry_conformance.py`` only talks to the ``ModelRegistry`` protocol, so adding a backend
here is all it takes to hold it to the same semantics.

AWS hook: when the AWS-backed registry exists, add an entry that starts moto (``mock_aws()`` or a
``ThreadedMotoServer`` on 127.0.0.1), builds the boto3 SageMaker client and returns the AWS
registry; yield-style factories are supported so the moto context is closed after the test, e.g.

    def _aws_registry(tmp_path):
        with mock_aws():
            yield AwsModelRegistry(boto3.client("sagemaker", region_name="us-east-1"))

    REGISTRY_BACKENDS["aws-moto"] = _aws_registry
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from orchestrator.local.registry import LocalModelRegistry
from orchestrator.registry import ModelRegistry


def _local_registry(tmp_path: Path) -> LocalModelRegistry:
    return LocalModelRegistry(tmp_path / "registry.sqlite")


RegistryFactory = Callable[[Path], Any]
REGISTRY_BACKENDS: dict[str, RegistryFactory] = {
    "local-sqlite": _local_registry,
    # "aws-moto": _aws_registry,  <- the AWS backend plugs in here (see the module docstring)
}


@pytest.fixture(params=sorted(REGISTRY_BACKENDS))
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    """A fresh, empty registry of each backend."""
    made = REGISTRY_BACKENDS[request.param](tmp_path)
    if inspect.isgenerator(made):
        instance = cast(ModelRegistry, next(made))
        yield instance
        made.close()
    else:
        yield made
