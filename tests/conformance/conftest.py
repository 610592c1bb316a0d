"""Fixtures of the conformance suites: each protocol's tests run once per backend.

``registry`` is a fresh, empty model registry of each kind (``REGISTRY_BACKENDS``); ``backend``
is a whole :class:`~orchestrator.backends.base.Backend` of each kind
(``conformance_kit.BACKENDS``: "local" and "aws-moto") and ``kit`` what differs between them.
A test that takes ``backend`` runs on both; a backend that joins ``BACKENDS`` is held to the
same tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws

from orchestrator.backends.aws.clients import connect
from orchestrator.backends.aws.registry import AwsModelRegistry
from orchestrator.backends.base import Backend
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.model_registry import ModelRegistry

# The SageMaker extensions of moto live with the AWS tests, the model bundle builder with the
# local endpoint's tests.
TESTS = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(TESTS / "aws"), str(TESTS / "orchestrator")]
from conformance_kit import BACKENDS, Kit  # noqa: E402
from moto_extensions import REGION, sagemaker_patched, shared_session  # noqa: E402


def _local_registry(tmp_path: Path) -> Iterator[LocalModelRegistry]:
    yield LocalModelRegistry(tmp_path / "registry.sqlite")


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


RegistryFactory = Callable[[Path], Iterator[Any]]
REGISTRY_BACKENDS: dict[str, RegistryFactory] = {
    "local-sqlite": _local_registry,
    "aws-moto": _aws_registry,
}


@pytest.fixture(params=sorted(REGISTRY_BACKENDS))
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    """A fresh, empty registry of each backend."""
    yield from REGISTRY_BACKENDS[request.param](tmp_path)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A whole, fresh backend of each kind (closed after the test: local model servers stop)."""
    with BACKENDS[request.param](tmp_path / "backend") as made:
        yield made


@pytest.fixture
def kit(backend: Backend, tmp_path: Path) -> Kit:
    """What differs by backend: locations, and registering a real model version."""
    return Kit(backend, tmp_path / "kit")
