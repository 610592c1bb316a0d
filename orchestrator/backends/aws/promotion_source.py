"""The source side of ``promote``: credentials of the source environment's account.

The target is written with the ambient credentials (checked against the target's account_id
like every aws command). The source is read with, in order: a named profile (``--from-profile``),
a role the ambient credentials assume (``--from-role-arn``; GitHub OIDC jobs chain roles this
way), or, when both environments share one account, the ambient credentials themselves. The
source backend then checks those credentials against the source's account_id.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ProfileNotFound

from orchestrator.backends.aws.clients import aws_errors, client_config
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig

SESSION_NAME = "orchestrator-promote"


def source_session(
    source: EnvironmentConfig,
    target: EnvironmentConfig,
    profile: str | None,
    role_arn: str | None,
) -> boto3.Session:
    """A session for the source account (see the module docstring); exit 2 when none fits."""
    if profile and role_arn:
        raise UserError(
            "--from-profile and --from-role-arn both name the source credentials; pass one"
        )
    if profile:
        try:
            return boto3.Session(profile_name=profile)
        except ProfileNotFound:
            raise UserError(
                f"--from-profile {profile!r} is not a profile of this machine; pick one from "
                "`aws configure list-profiles`"
            ) from None
    if role_arn:
        sts = boto3.Session().client("sts", region_name=target.region, config=client_config())
        with aws_errors(f"assume {role_arn} to read {source.name}"):
            found = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
        return boto3.Session(
            aws_access_key_id=found["AccessKeyId"],
            aws_secret_access_key=found["SecretAccessKey"],
            aws_session_token=found["SessionToken"],
        )
    if source.account_id == target.account_id:
        return boto3.Session()
    raise UserError(
        f"{source.name} is account {source.account_id} and {target.name} is account "
        f"{target.account_id}: the credentials here write {target.name}; name how to read "
        f"{source.name} with --from-role-arn (a role of {source.account_id} these credentials "
        "may assume, e.g. the stack's promotion reader) or --from-profile"
    )
