"""Fixtures for the AWS backend tests: moto in-process (``mock_aws``) with the SageMaker
actions moto lacks added by ``moto_extensions`` (state in moto's backend), and clients built by
the orchestrator's own ``connect`` so retries and timeouts are the production ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws
from moto_extensions import REGION, sagemaker_patched, shared_session

from orchestrator.backends.aws import AwsModelRegistry
from orchestrator.backends.aws.clients import AwsClients, connect
from orchestrator.backends.polling import PollSettings
from orchestrator.settings.stack_outputs import StackOutputs

ACCOUNT = "123456789012"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no profile, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[AwsClients]:
    """Clients on a fresh moto account, SageMaker completed by moto_extensions."""
    with mock_aws(), sagemaker_patched():
        yield connect(REGION, session=shared_session())


@pytest.fixture
def outputs() -> StackOutputs:
    """Stack outputs of a dev stack with a VPC, in moto's account."""
    prefix = "mlops-dev"
    kms = f"arn:aws:kms:{REGION}:{ACCOUNT}:key"
    return StackOutputs(
        region=REGION,
        account_id=ACCOUNT,
        environment="dev",
        project="mlops",
        data_bucket=f"{prefix}-data",
        artifacts_bucket=f"{prefix}-artifacts",
        data_kms_key_arn=f"{kms}/11111111-1111-1111-1111-111111111111",
        artifacts_kms_key_arn=f"{kms}/22222222-2222-2222-2222-222222222222",
        sagemaker_execution_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-orchestrator",
        model_package_group_name=f"{prefix}-models",
        pipeline_name=f"{prefix}-pipeline",
        endpoint_name=f"{prefix}-endpoint",
        private_subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        sagemaker_security_group_ids=["sg-0123456789abcdef0"],
        vpc_id="vpc-0123456789abcdef0",
        ecr_repository_url=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{prefix}",
    )


@pytest.fixture
def fast() -> PollSettings:
    """Waits that never sleep: 60 s of 5 s intervals, each check immediate."""
    return PollSettings(timeout_seconds=60, interval_seconds=5, sleep=lambda _s: None)


@pytest.fixture
def registry(aws: AwsClients, outputs: StackOutputs) -> AwsModelRegistry:
    """The registry with the stack's group created."""
    registry = AwsModelRegistry(aws.sagemaker)
    registry.ensure_group(outputs.model_package_group_name)
    return registry
