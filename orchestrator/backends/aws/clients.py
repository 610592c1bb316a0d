"""boto3 clients for the AWS backend: one session, standard retries, a clear credentials check.

Every client shares one botocore ``Config``: the *standard* retry mode (exponential backoff with
jitter, retries on throttling and transient errors, a retry quota so a broken service is not
hammered) with a bounded number of attempts, and bounded connect/read timeouts, so no call can
hang or retry forever. Missing credentials or region fail here, before any request, as one
sentence naming the fix (exit 2), rather than as a botocore traceback halfway through a deploy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from orchestrator.backends.aws.errors import AwsRequestError, AwsSetupError, AwsTransientError

DEFAULT_MAX_ATTEMPTS = 8
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60
_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",  # S3's code for an access key it does not know
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
_CREDENTIALS_FIX = (
    "set AWS_PROFILE (after `aws sso login` or `aws configure`) or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or run where an instance/CI role provides credentials"
)


def client_config(max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Config:
    """The botocore Config every client uses: standard retries, bounded attempts and timeouts.

    ``max_attempts`` counts every request including the first (botocore's
    ``total_max_attempts``; its ``max_attempts`` would count retries only)."""
    if max_attempts < 1:
        raise ValueError("max_attempts counts the first try too; it must be at least 1")
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        user_agent_extra="mlops-orchestrator",
    )


@dataclass(frozen=True)
class AwsClients:
    """The clients the AWS backend uses, all from one session and region."""

    region: str
    sagemaker: Any
    autoscaling: Any  # application-autoscaling
    cloudwatch: Any


def connect(
    region: str | None = None,
    *,
    profile: str | None = None,
    session: boto3.Session | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    endpoint_url: str | None = None,
) -> AwsClients:
    """Clients for ``region`` (else the session's region) after checking credentials exist.

    Raises :class:`AwsSetupError` when the profile is unknown, no region is set anywhere, or no
    credentials can be found. ``endpoint_url`` points every client at one address (a local moto
    server in tests). Credentials are only *found* here; an expired token surfaces on the first
    call and is translated by :func:`aws_errors`.
    """
    try:
        session = session or boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise AwsSetupError(
            f"the AWS profile {profile!r} does not exist; pick one from `aws configure "
            "list-profiles` or unset AWS_PROFILE"
        ) from None
    region = region or session.region_name
    if not region:
        raise AwsSetupError(
            "no AWS region is set; set the environment file's region, or AWS_REGION / "
            "AWS_DEFAULT_REGION"
        )
    if session.get_credentials() is None:
        raise AwsSetupError(f"no AWS credentials were found; {_CREDENTIALS_FIX}")
    config = client_config(max_attempts)

    def client(service: str) -> Any:
        return session.client(service, region_name=region, config=config, endpoint_url=endpoint_url)

    return AwsClients(
        region=region,
        sagemaker=client("sagemaker"),
        autoscaling=client("application-autoscaling"),
        cloudwatch=client("cloudwatch"),
    )


# Throttling codes botocore's standard retry mode itself treats as transient (botocore
# retries/standard.py), which the SageMaker, S3 and Application Auto Scaling APIs answer.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)


def is_transient(exc: ClientError) -> bool:
    """Throttling, or an error on AWS's side (HTTP 5xx)."""
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(exc) in THROTTLING_CODES or status >= 500


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# AWS access key ids (long-term AKIA..., temporary ASIA...). Some services echo the caller's key
# id in error bodies (S3's SignatureDoesNotMatch); messages we print must never carry it.
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")


def redact(text: str) -> str:
    """``text`` with AWS access key ids and this process's credential values masked."""
    text = _ACCESS_KEY_ID.sub("<access-key-id>", text)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, f"<{name.lower()}>")
    return text


def error_message(exc: ClientError) -> str:
    return redact(str(exc.response.get("Error", {}).get("Message", "")) or str(exc))


# How SageMaker words "no such resource" in a ValidationException: "Could not find endpoint ...",
# "ModelPackageGroup ... does not exist.", moto's "Model package ... not found".
_MISSING_WORDS = ("could not find", "does not exist", "not found")


def is_missing(exc: ClientError) -> bool:
    """Whether a Describe call was refused because the resource does not exist.

    The API reference's error for that is ResourceNotFound, but SageMaker answers most Describe
    calls (endpoints, endpoint configs, model packages and their groups) with a
    ValidationException whose message says so; one test here, so every lookup agrees."""
    code = error_code(exc)
    message = error_message(exc).lower()
    return code == "ResourceNotFound" or (
        code == "ValidationException" and any(words in message for words in _MISSING_WORDS)
    )


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn credential, connection and refused-request errors raised while doing ``action``
    (e.g. "deploy endpoint churn-dev") into one-paragraph user errors.

    Errors a caller handles itself (a missing resource it will create) must be caught inside.
    """
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsSetupError(
            f"cannot {action}: no complete AWS credentials were found; {_CREDENTIALS_FIX}"
        ) from None
    except NoRegionError:
        raise AwsSetupError(
            f"cannot {action}: no AWS region is set; set AWS_REGION or the environment's region"
        ) from None
    except EndpointConnectionError as exc:
        raise AwsRequestError(
            f"cannot {action}: AWS could not be reached ({exc}); check the network, proxy "
            "settings and that the region exists"
        ) from None
    except ClientError as exc:
        code = error_code(exc)
        if code in _CREDENTIAL_CODES:
            raise AwsSetupError(
                f"cannot {action}: AWS rejected the credentials ({code}); refresh them: "
                f"{_CREDENTIALS_FIX}"
            ) from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise AwsRequestError(
                f"cannot {action}: access denied ({error_message(exc)}); attach the stack's "
                "orchestrator policy (output orchestrator_policy_arn) to this principal"
            ) from None
        if code == "403":  # a HEAD request's refusal has no body, so no code says why
            raise AwsRequestError(
                f"cannot {action}: S3 answered 403 Forbidden without a reason (a HEAD request): "
                "the credentials were rejected or this principal lacks access; check the "
                f"credentials ({_CREDENTIALS_FIX}) and that the stack's orchestrator policy "
                "is attached"
            ) from None
        if is_transient(exc):
            raise AwsTransientError(
                f"cannot {action} now: AWS answered {code} ({error_message(exc)}) after "
                "retrying; this is AWS's side (throttling or a service error), try again later"
            ) from None
        raise AwsRequestError(f"cannot {action}: {code}: {error_message(exc)}") from None
    except BotoCoreError as exc:
        raise AwsRequestError(f"cannot {action}: {redact(str(exc))}") from None
    except S3UploadFailedError as exc:
        # boto3's managed upload (upload_file) re-raises the ClientError of PutObject or of a
        # multipart call as this, with the error code in its text.
        raise AwsRequestError(f"cannot {action}: {redact(str(exc))}") from None


def describe_or_none(
    action: str, describe: Callable[[], Mapping[str, Any]]
) -> dict[str, Any] | None:
    """``describe()``'s answer, or None when the resource does not exist (:func:`is_missing`);
    any other error becomes a user error naming ``action`` (e.g. "describe endpoint x")."""
    with aws_errors(action):
        try:
            return dict(describe())
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
