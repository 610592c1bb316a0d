"""Whole backends for the protocol suites: the local one on a temporary state folder, the AWS
one on moto (with the SageMaker extensions of ``tests/aws/moto_extensions``), each with what a
suite needs to exercise it the same way (register a model version, name a location)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
from moto import mock_aws

from orchestrator.backends.aws.backend import aws_backend
from orchestrator.backends.base import Backend
from orchestrator.backends.local.backend import local_backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / "aws"), str(TESTS / "orchestrator")]
from moto_extensions import ACCOUNT, REGION, sagemaker_patched  # noqa: E402
from test_local_endpoint_bundles import build_bundle  # noqa: E402

IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mlops-dev@sha256:{'0' * 64}"


@dataclass
class Case:
    """One backend under test and the backend-specific facts a suite needs."""

    name: str
    backend: Backend
    # A location of the kind this backend reads (``path`` a file on this machine), and one
    # of the kind it refuses.
    location: Callable[[str], str]
    foreign_location: str
    register: Callable[[str, bool], ModelPackage]
    tmp: Path

    def put(self, name: str, content: bytes) -> str:
        """Store ``content`` where this backend reads its inputs; the location."""
        source = self.tmp / "inputs" / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(content)
        where = self.location(name)
        if where.startswith("s3://"):
            self.backend.artifacts.publish(source, where)
            return where
        return str(source)


def _bundle(tmp: Path) -> Path:
    return build_bundle(tmp / "bundle", rounds=5)


@contextmanager
def local_case(tmp: Path) -> Iterator[Case]:
    config = EnvironmentConfig(
        name="local", backend="local", local={"state_dir": str(tmp / "state")}
    )
    backend = local_backend(config)
    bundle = _bundle(tmp)

    def register(name: str, approved: bool) -> ModelPackage:
        uri = f"s3://{backend.outputs.artifacts_bucket}/models/{name}/model.tar.gz"
        backend.artifacts.publish(_packed(bundle, tmp / name), uri)
        return _register(backend, uri, approved)

    with backend:
        yield Case("local", backend, lambda name: str(tmp / name), "s3://a/b.csv", register, tmp)


@contextmanager
def aws_case(tmp: Path) -> Iterator[Case]:
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
        # A fresh session: boto3 injects its S3 transfer methods once per session.
        session = boto3.Session(region_name=REGION)
        outputs = _moto_stack(session)
        config = EnvironmentConfig(
            name="dev",
            backend="aws",
            account_id=ACCOUNT,
            region=REGION,
            dataset={
                "data": "s3://mlops-dev-data/d.csv",
                "schema": "s3://mlops-dev-data/s.yaml",
            },
            endpoint={"require_alarms": False},
        )
        backend = aws_backend(config, outputs, session)
        bundle = _bundle(tmp)

        def register(name: str, approved: bool) -> ModelPackage:
            uri = f"s3://{outputs.artifacts_bucket}/models/{name}/model.tar.gz"
            backend.artifacts.publish(_packed(bundle, tmp / name), uri)
            return _register(backend, uri, approved)

        def location(name: str) -> str:
            return f"s3://{outputs.data_bucket}/conformance/{name}"

        yield Case("aws-moto", backend, location, str(tmp / "rows.csv"), register, tmp)


def _moto_stack(session: boto3.Session) -> StackOutputs:
    """Buckets and KMS keys in moto, named as a dev stack names them."""
    s3 = session.client("s3", region_name=REGION)
    kms = session.client("kms", region_name=REGION)
    keys = [kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2)]
    for bucket in ("mlops-dev-data", "mlops-dev-artifacts"):
        s3.create_bucket(Bucket=bucket)
    prefix = "mlops-dev"
    return StackOutputs(
        region=REGION,
        account_id=ACCOUNT,
        environment="dev",
        project="mlops",
        data_bucket=f"{prefix}-data",
        artifacts_bucket=f"{prefix}-artifacts",
        data_kms_key_arn=keys[0],
        artifacts_kms_key_arn=keys[1],
        sagemaker_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-orchestrator",
        model_package_group_name=f"{prefix}-models",
        pipeline_name=f"{prefix}-training",
        endpoint_name=f"{prefix}-endpoint",
        ecr_repository_url=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{prefix}",
    )


def _packed(bundle: Path, where: Path) -> Path:
    from ml_containers.bundle import pack_model_dir

    return pack_model_dir(bundle, where / "model.tar.gz")


def _register(backend: Backend, model_data_url: str, approved: bool) -> ModelPackage:
    backend.registry.ensure_group(backend.model_group)
    return backend.registry.register(
        backend.model_group,
        model_data_url=model_data_url,
        image_uri=IMAGE,
        approval_status="Approved" if approved else "PendingManualApproval",
    )


CASES = {"local": local_case, "aws-moto": aws_case}
