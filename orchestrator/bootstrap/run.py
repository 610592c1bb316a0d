"""Bootstrap an environment's Terraform state: check the account, then each step in order.

Order matters: the key exists before the bucket's default encryption names it, the public
access block is on before the bucket policy is written, and the backend file is written last,
from what the steps found, so a run that stops halfway never leaves a file naming a bucket that
is not ready. Every step is idempotent, so the fix for a run that stopped is to run it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ProfileNotFound

from orchestrator.bootstrap import bucket, key
from orchestrator.bootstrap.backend_file import (
    backend_path,
    check_replaceable,
    render,
    write_backend,
)
from orchestrator.bootstrap.calls import Context, Outcome
from orchestrator.bootstrap.errors import CREDENTIALS_FIX, BootstrapInputError
from orchestrator.bootstrap.names import StateNames, state_names
from orchestrator.settings.environment import EnvironmentConfig

Step = Callable[[Context], Outcome]
STEPS: tuple[Step, ...] = (
    key.ensure_key,
    key.ensure_rotation,
    key.ensure_key_policy,
    bucket.ensure_bucket,
    bucket.ensure_ownership,
    bucket.ensure_public_access_block,
    bucket.ensure_versioning,
    bucket.ensure_encryption,
    bucket.ensure_bucket_policy,
    bucket.ensure_tags,
)


@dataclass(frozen=True)
class Report:
    names: StateNames
    caller: str
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    backend_text: list[str] = field(default_factory=list)  # the file as written (or planned)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.names.environment,
            "account_id": self.names.account_id,
            "caller": self.caller,
            "dry_run": self.dry_run,
            "bucket": self.names.bucket,
            "key": self.names.key,
            "region": self.names.region,
            "kms_alias": self.names.alias,
            "steps": [o.to_dict() for o in self.outcomes],
            "backend_file": "".join(self.backend_text),
        }


def open_session(profile: str | None = None) -> boto3.Session:
    """The administrator's session; exit 2 before any call when it has no credentials."""
    try:
        session = boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise BootstrapInputError(
            f"the AWS profile {profile!r} does not exist; pick one from `aws configure "
            "list-profiles` or unset AWS_PROFILE"
        ) from None
    if session.get_credentials() is None:
        raise BootstrapInputError(f"no AWS credentials were found; {CREDENTIALS_FIX}")
    return session


def check_account(ctx: Context) -> str:
    """The caller's ARN, after checking it is of the environment's account (exit 2 if not)."""
    identity = ctx.read("sts", "GetCallerIdentity") or {}
    account, arn = str(identity.get("Account")), str(identity.get("Arn", ""))
    wanted = ctx.names.account_id
    if account != wanted:
        raise BootstrapInputError(
            f"the credentials are of account {account} ({arn}), environment "
            f"{ctx.names.environment} is account {wanted}: bootstrap would create the state "
            f"bucket in the wrong account. Use credentials of account {wanted} (AWS_PROFILE), "
            f"or fix account_id in environments/{ctx.names.environment}.yaml"
        )
    ctx.partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    return arn


def bootstrap(
    config: EnvironmentConfig,
    terraform_dir: Path,
    *,
    apply: bool,
    session: boto3.Session | None = None,
) -> Report:
    """Create or converge ``config``'s state bucket and key and write its backend file;
    ``apply`` False is a dry run: the same reads, and the changes only listed. ``session``
    defaults to the environment's credentials (:func:`open_session`)."""
    if config.backend != "aws":
        raise BootstrapInputError(
            f"environment {config.name} uses the {config.backend} backend, which keeps no "
            "Terraform state (it has no stack): there is no state bucket to create. Bootstrap an "
            "aws environment: --env dev, staging or prod"
        )
    names = state_names(config)
    path = backend_path(terraform_dir, names.environment)
    check_replaceable(path, names)  # before anything changes on AWS
    ctx = Context(session=session or open_session(), names=names, apply=apply)
    report = Report(names=names, caller=check_account(ctx), dry_run=not apply)
    for step in STEPS:
        report.outcomes.append(step(ctx))
    report.outcomes.append(write_backend(path, names, ctx.key_reference, apply))
    report.backend_text.append(render(names, ctx.key_reference))
    return report
