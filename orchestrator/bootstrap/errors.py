"""Bootstrap's errors, sorted the way the CLI sorts them.

A bad input (the local environment, credentials of another account, a bucket name S3 would
refuse, a backend file that names other state) is :class:`BootstrapInputError`: exit 2 with the
problem and the fix. AWS refusing a request (access denied, a bucket name another account
holds, a key scheduled for deletion) is :class:`BootstrapRefused`: exit 1, because the command
was right and AWS said no. Missing or rejected credentials are an input (exit 2), as everywhere
in the orchestrator.

:func:`aws_refusals` is not :func:`orchestrator.backends.aws.clients.aws_errors`: that one tells
an AccessDenied caller to attach the stack's orchestrator policy, which does not exist yet when
bootstrap runs (docs/bootstrap.md lists what a bootstrap principal needs instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from orchestrator.backends.aws.clients import error_code, error_message, redact
from orchestrator.errors import OperationFailed, UserError

_CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
    }
)
CREDENTIALS_FIX = (
    "use an administrator's credentials of the environment's account (AWS_PROFILE after "
    "`aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
)
ACCESS_FIX = (
    "run bootstrap as a principal allowed the actions docs/bootstrap.md lists (an account "
    "administrator); the stack's orchestrator role cannot, it does not exist yet"
)


class BootstrapInputError(UserError):
    """A bad input; the message names the problem and the fix (exit 2)."""


class BootstrapRefused(OperationFailed):
    """AWS refused what bootstrap asked (exit 1); the message says which call and why."""


@contextmanager
def aws_refusals(action: str) -> Iterator[None]:
    """Turn what boto3 raises while doing ``action`` into :class:`BootstrapInputError` (no or
    rejected credentials) or :class:`BootstrapRefused` (everything AWS refused)."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise BootstrapInputError(
            f"cannot {action}: no AWS credentials were found; {CREDENTIALS_FIX}"
        ) from None
    except ClientError as exc:
        code = error_code(exc)
        if code in _CREDENTIAL_CODES:
            raise BootstrapInputError(
                f"cannot {action}: AWS rejected the credentials ({code}); {CREDENTIALS_FIX}"
            ) from None
        if code in ("AccessDenied", "AccessDeniedException", "403"):
            raise BootstrapRefused(
                f"cannot {action}: access denied ({error_message(exc) or code}); {ACCESS_FIX}"
            ) from None
        raise BootstrapRefused(f"cannot {action}: {code}: {error_message(exc)}") from None
    except BotoCoreError as exc:
        raise BootstrapRefused(f"cannot {action}: {redact(str(exc))}") from None
