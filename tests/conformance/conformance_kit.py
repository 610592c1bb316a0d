"""Whole backends for the protocol suites, and what a suite needs to drive each the same way.

``BACKENDS`` builds a fresh :class:`~orchestrator.backends.base.Backend` of each kind for one
test: the local one (``local_backend``) on a temporary state folder, the AWS one
(``aws_backend``) on moto in-process with the SageMaker behaviour moto lacks added by
``tests/aws/moto_extensions``, the stack's buckets and KMS keys created in moto and fake
credentials only. :class:`Kit` holds the few facts that differ by backend (which kind of location
it reads, how a model version reaches its registry), so a test says what it checks once and
asks which backend it runs on only where moto cannot play SageMaker's part.

``tests/aws`` and ``tests/orchestrator`` are on ``sys.path`` (the conftest puts them there) for
``moto_extensions`` and the model bundle builder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import boto3
from ml_containers.bundle import pack_model_dir
from moto import mock_aws
from moto_extensions import ACCOUNT, REGION, sagemaker_patched
from test_local_endpoint_bundles import build_bundle

from orchestrator.backends.aws.backend import aws_backend
from orchestrator.backends.base import Backend
from orchestrator.backends.local.backend import local_backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.cli.app import _error_types
from orchestrator.data.identity import model_group_name
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs

USER_ERRORS = _error_types()[0]
"""What the CLI reports as a user's mistake (exit 2, one sentence): a refusal is one of these."""

IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-dev@sha256:{'0' * 64}"


# -- the backends ---------------------------------------------------------------------------------
def local_config(tmp: Path) -> EnvironmentConfig:
    return EnvironmentConfig(name="local", backend="local", local={"state_dir": str(tmp / "state")})


@contextmanager
def local_on_tmp(tmp: Path) -> Iterator[Backend]:
    """The local backend with its state (store, registry, executions) under ``tmp``."""
    with local_backend(local_config(tmp)) as backend:
        yield backend


@dataclass(frozen=True)
class MotoAccount:
    """A dev environment's file, its stack's outputs and a session, all inside moto."""

    config: EnvironmentConfig
    outputs: StackOutputs
    session: boto3.Session


@contextmanager
def moto_account(tmp: Path) -> Iterator[MotoAccount]:
    """moto in-process with the SageMaker extensions, fake credentials and no profile (nothing
    can reach a real account), and the stack's buckets and keys created in it."""
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with (
        mock.patch.dict(os.environ, {**clean, **fake}, clear=True),
        mock_aws(),
        sagemaker_patched(),
    ):
        # A fresh session per test: boto3 adds its S3 transfer methods to a session's clients.
        session = boto3.Session(region_name=REGION)
        config = EnvironmentConfig(
            name="dev",
            backend="aws",
            account_id=ACCOUNT,
            region=REGION,
            dataset={"data": "s3://mlops-dev-data/d.csv", "schema": "s3://mlops-dev-data/s.yaml"},
            endpoint={"require_alarms": False},
        )
        yield MotoAccount(config, moto_stack(session), session)


@contextmanager
def aws_on_moto(tmp: Path) -> Iterator[Backend]:
    with (
        moto_account(tmp) as account,
        aws_backend(account.config, account.outputs, account.session) as backend,
    ):
        yield backend


def moto_stack(session: boto3.Session) -> StackOutputs:
    """The data and artifacts buckets and their KMS keys in moto, named as a dev stack names
    them; the outputs name what exists."""
    s3 = session.client("s3", region_name=REGION)
    kms = session.client("kms", region_name=REGION)
    data_key, artifacts_key = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    prefix = "mlops-dev"
    for bucket in (f"{prefix}-data", f"{prefix}-artifacts"):
        s3.create_bucket(Bucket=bucket)
    return StackOutputs(
        region=REGION,
        account_id=ACCOUNT,
        environment="dev",
        project="mlops",
        data_bucket=f"{prefix}-data",
        artifacts_bucket=f"{prefix}-artifacts",
        data_kms_key_arn=data_key,
        artifacts_kms_key_arn=artifacts_key,
        sagemaker_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-orchestrator",
        model_package_group_name=f"{prefix}-models",
        pipeline_name=f"{prefix}-training",
        endpoint_name=f"{prefix}-endpoint",
        ecr_repository_url=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{prefix}",
    )


def write_stack_outputs(outputs: StackOutputs, path: Path) -> Path:
    """The outputs as ``terraform output -json`` writes them (``--stack-outputs FILE``)."""
    path.write_text(json.dumps(outputs.to_terraform_json()))
    return path


BACKENDS: dict[str, Callable[[Path], AbstractContextManager[Backend]]] = {
    "local": local_on_tmp,
    "aws-moto": aws_on_moto,
}


# -- what differs by backend ----------------------------------------------------------------------
@dataclass
class Kit:
    """A backend under test and the backend-specific facts a suite needs."""

    backend: Backend
    tmp: Path
    _bundles: dict[int, Path] = field(default_factory=dict)

    @property
    def on_aws(self) -> bool:
        return self.backend.name == "aws"

    def uri(self, key: str) -> str:
        """An ``s3://`` URI in the stack's data bucket (the local store stands in for S3)."""
        return f"s3://{self.backend.outputs.data_bucket}/conformance/{key}"

    def location(self, name: str) -> str:
        """Where this backend reads and writes batch files: S3 on AWS, files locally."""
        return self.uri(name) if self.on_aws else str(self.tmp / "files" / name)

    def foreign_location(self, name: str) -> str:
        """A location of the kind this backend refuses (the other backend's kind)."""
        return str(self.tmp / "files" / name) if self.on_aws else self.uri(name)

    def put(self, name: str, content: bytes) -> str:
        """Store ``content`` where this backend reads its inputs; the location."""
        source = self.tmp / "files" / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(content)
        if self.on_aws:
            return self.backend.artifacts.publish(source, self.location(name))
        return str(source)

    def bundle(self, rounds: int) -> Path:
        """A real model bundle (XGBoost on the breast cancer data, ``rounds`` boosting rounds:
        different rounds are different models)."""
        if rounds not in self._bundles:
            self._bundles[rounds] = build_bundle(self.tmp / f"bundle-{rounds}", rounds=rounds)
        return self._bundles[rounds]

    def register(self, name: str, *, approved: bool = True, rounds: int = 5) -> ModelPackage:
        """A model version in the backend's own registry, its model data in the backend's own
        artifacts bucket (the moto bucket on AWS, the local store locally)."""
        packed = pack_model_dir(self.bundle(rounds), self.tmp / "packed" / name / "model.tar.gz")
        uri = f"s3://{self.backend.outputs.artifacts_bucket}/models/{name}/model.tar.gz"
        self.backend.artifacts.publish(packed, uri)
        registry = self.backend.registry
        group = model_group_name(self.backend.outputs.model_package_group_name, "conformance")
        registry.ensure_group(group)
        return registry.register(
            group,
            model_data_url=uri,
            image_uri=IMAGE,
            approval_status="Approved" if approved else "PendingManualApproval",
        )
