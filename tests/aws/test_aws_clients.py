"""Clients: standard retries that really retry a throttled call, bounded attempts, and missing
or rejected credentials/region as one clear sentence (exit 2)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto_extensions import REGION, InjectError, sagemaker_patched, shared_session

from orchestrator.backends.aws import AwsModelRegistry, AwsRequestError, AwsSetupError
from orchestrator.backends.aws.artifacts import S3ArtifactStore
from orchestrator.backends.aws.clients import AwsClients, client_config, connect
from orchestrator.backends.aws.errors import AwsTransientError
from orchestrator.errors import UserError


def test_client_config_uses_standard_retries_with_bounded_attempts() -> None:
    config = client_config(max_attempts=5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert config.connect_timeout and config.read_timeout
    with pytest.raises(ValueError, match="at least 1"):
        client_config(max_attempts=0)


def test_every_client_carries_the_retry_config(aws: AwsClients) -> None:
    for client in (aws.sagemaker, aws.autoscaling, aws.cloudwatch):
        assert client.meta.config.retries["mode"] == "standard"
        assert client.meta.region_name == REGION


def test_a_throttled_call_is_retried_and_succeeds(aws: AwsClients) -> None:
    registry = AwsModelRegistry(aws.sagemaker)
    registry.ensure_group("churn-model")
    throttle = InjectError(aws.sagemaker, "ListModelPackageGroups", times=1)
    assert registry.list_groups() == ["churn-model"]
    assert throttle.calls == 2  # the throttled attempt and its retry


def test_throttling_beyond_the_attempt_budget_is_a_clear_error(aws_credentials: None) -> None:
    """Not the user's mistake: exit 1 (AWS's side), not 2, saying to try again later."""
    with mock_aws(), sagemaker_patched():
        clients = connect(REGION, session=shared_session(), max_attempts=2)
        throttle = InjectError(clients.sagemaker, "ListModelPackageGroups", times=5)
        with pytest.raises(AwsTransientError, match="ThrottlingException") as caught:
            AwsModelRegistry(clients.sagemaker).list_groups()
    assert throttle.calls == 2  # bounded: exactly max_attempts requests
    assert "list model package groups" in str(caught.value)
    assert caught.value.exit_code == 1 and not isinstance(caught.value, UserError)


def test_a_request_aws_refuses_stays_a_user_error(aws_credentials: None) -> None:
    with mock_aws(), sagemaker_patched():
        clients = connect(REGION, session=shared_session(), max_attempts=1)
        InjectError(clients.sagemaker, "ListModelPackageGroups", code="ValidationException")
        with pytest.raises(AwsRequestError) as caught:
            AwsModelRegistry(clients.sagemaker).list_groups()
    assert caught.value.exit_code == 2 and not isinstance(caught.value, AwsTransientError)


def test_missing_credentials_is_one_sentence_with_exit_code_2(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    # No instance metadata lookups: fail fast instead of probing 169.254.169.254.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsSetupError) as caught:
        connect(REGION)
    message = str(caught.value)
    assert message.startswith("no AWS credentials were found")
    assert "AWS_PROFILE" in message and "\n" not in message
    assert isinstance(caught.value, UserError) and caught.value.exit_code == 2


def test_missing_region_is_one_sentence(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(AwsSetupError, match="no AWS region is set") as caught:
        connect(None)
    assert "\n" not in str(caught.value)


def test_unknown_profile_is_named(aws_credentials: None) -> None:
    with pytest.raises(AwsSetupError, match="'no-such-profile' does not exist"):
        connect(REGION, profile="no-such-profile")


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        ("ExpiredTokenException", AwsSetupError, "rejected the credentials"),
        ("AccessDeniedException", AwsRequestError, "orchestrator_policy_arn"),
    ],
)
def test_rejected_credentials_and_access_denied_are_explained(
    aws: AwsClients, code: str, error: type[Exception], words: str
) -> None:
    InjectError(aws.sagemaker, "ListModelPackageGroups", times=1, code=code)
    with pytest.raises(error, match=words) as caught:
        AwsModelRegistry(aws.sagemaker).list_groups()
    assert "\n" not in str(caught.value)


def test_error_messages_never_carry_access_key_ids_or_credential_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Some services echo the caller's key id in an error body (S3's SignatureDoesNotMatch);
    whatever AWS says, the message the CLI prints is scrubbed."""
    from botocore.exceptions import ClientError

    from orchestrator.backends.aws.clients import aws_errors

    secret = "s3cr3t-value-that-must-not-leak"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    body = {
        "Error": {
            "Code": "InvalidRequest",
            "Message": f"request by AKIAIOSFODNN7EXAMPLE signed with {secret} was refused",
        }
    }
    with pytest.raises(AwsRequestError) as raised, aws_errors("list models"):
        raise ClientError(body, "ListModels")
    message = str(raised.value)
    assert "AKIAIOSFODNN7EXAMPLE" not in message
    assert secret not in message
    assert "<access-key-id>" in message


def test_an_upload_s3_refuses_is_a_clear_error_not_an_internal_one(
    aws_credentials: None, tmp_path: Path
) -> None:
    """boto3's managed upload wraps PutObject's ClientError in S3UploadFailedError, which is no
    ClientError: it must still become the one-sentence request error naming the target."""
    source = tmp_path / "event.json"
    source.write_text("{}")
    with mock_aws():
        store = S3ArtifactStore(boto3.client("s3", region_name=REGION))
        with pytest.raises(
            AwsRequestError, match=r"cannot upload .* to s3://no-such-bucket/k.*NoSuchBucket"
        ):
            store.publish(source, "s3://no-such-bucket/k")
