"""Who the credentials belong to, checked before an aws environment's backend is used.

Each environment file names its account (``account_id``). Credentials of another account (a
stale AWS_PROFILE, the dev role in a prod job) would otherwise reach a stack of the same name
there or fail later with a confusing "does not exist". So every command that opens an aws
backend first asks STS GetCallerIdentity (which needs no permission, STS API reference) and
stops, exit 2, when the account differs, naming both and the fix. The answer is kept: it is
also the ``who`` of the deployment history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.aws.errors import AwsSetupError


def caller_identity(sts: Any) -> Callable[[], str]:
    """The caller's ARN, asked once."""
    known: list[str] = []

    def caller() -> str:
        if not known:
            with aws_errors("read the caller's identity"):
                known.append(str(sts.get_caller_identity()["Arn"]))
        return known[0]

    return caller


def check_account(identity: Callable[[], str], expected: str | None, environment: str) -> None:
    """Refuse credentials of an account other than the environment's ``account_id``."""
    if expected is None:
        return
    arn = identity()
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    if account != expected:
        raise AwsSetupError(
            f"the AWS credentials are for account {account or '(unknown)'} ({arn}), but "
            f"environment {environment} is account {expected} (account_id in "
            f"environments/{environment}.yaml); use credentials of {expected} (e.g. "
            "AWS_PROFILE or the environment's CI role), or correct account_id"
        )
