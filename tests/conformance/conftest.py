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
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from unittest import mock

import pytest
from moto import mock_aws

from orchestrator.backends.aws.clients import connect
from orchestrator.backends.aws.registry import AwsModelRegistry
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.model_registry import ModelRegistry

# moto_extensions lives with the AWS tests (tests/aws); it corrects moto's UpdateModelPackage, which
# drops CustomerMetadataProperties that SageMaker keeps.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "aws"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "orchestrator"))  # bundles
from moto_extensions import REGION, sagemaker_patched, shared_session


def _local_registry(tmp_path: Path) -> LocalModelRegistry:
    return LocalModelRegistry(tmp_path / "registry.sqlite")


def _aws_registry(tmp_path: Path) -> Iterator[AwsModelRegistry]:
    """The SageMaker-backed registry on moto (in-process), with fake credentials only."""
    fake_credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    no_profile = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with (
        mock.patch.dict(os.environ, {**no_profile, **fake_credentials}, clear=True),
        mock_aws(),
        sagemaker_patched(),
    ):
        yield AwsModelRegistry(connect(REGION, session=shared_session()).sagemaker)


RegistryFactory = Callable[[Path], Any]
REGISTRY_BACKENDS: dict[str, RegistryFactory] = {
    "local-sqlite": _local_registry,
    "aws-moto": _aws_registry,
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


@pytest.fixture(params=["local", "aws-moto"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A whole backend of each kind (``backends.Case``), fresh for one test."""
    from backends import CASES

    with CASES[request.param](tmp_path) as made:
        yield made
