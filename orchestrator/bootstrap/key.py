"""The state's KMS key: a customer-managed key, alias ``alias/<project>-<env>-tfstate``,
rotation on, and a key policy that keeps the account in control and the key inside S3.

Why a customer-managed key rather than S3's AWS managed key ``aws/s3``: the state holds every
secret Terraform knows (generated passwords, keys, endpoints) and its key policy is the one
place to say who may decrypt it. ``aws/s3``'s policy is AWS's and lets any principal of the
account that can read the object decrypt it; with our key, reading state needs the S3 read *and*
a KMS grant, both visible in CloudTrail, and the key can be disabled to freeze the state.

The key policy follows ``terraform/modules/kms``: the account root administers the key (so IAM
policies can grant administration and nobody is locked out: KMS developer guide, "Default key
policy"), but where that module names each key user, the state's users (CI deploy roles,
operators) are not known when bootstrap runs, so key *use* is delegated to the account's IAM
policies only through S3 (``kms:ViaService = s3.<region>.amazonaws.com`` and
``kms:CallerAccount``): a principal needs an IAM grant for the key and can use it only to read
and write objects in S3, never to decrypt data keys directly.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.bootstrap.calls import Call, Context, Outcome, outcome, same_policy
from orchestrator.bootstrap.errors import BootstrapRefused
from orchestrator.bootstrap.names import StateNames

# The administration actions of terraform/modules/kms (no cryptographic use).
ADMINISTRATION_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant",
    "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
    "kms:UpdateAlias", "kms:UpdateKeyDescription",
]  # fmt: skip
# What S3 does with the caller's permissions for SSE-KMS objects and bucket keys.
USE_THROUGH_S3 = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                  "kms:ReEncryptFrom", "kms:ReEncryptTo"]  # fmt: skip


def tags(names: StateNames) -> dict[str, str]:
    """The tags of the key and the bucket (``project`` is the stack's cost allocation tag)."""
    return {
        "project": names.project,
        "environment": names.environment,
        "managed-by": "orchestrator-bootstrap",
    }


def key_policy(names: StateNames, partition: str = "aws") -> dict[str, Any]:
    root = f"arn:{partition}:iam::{names.account_id}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "KeyAdministrationByAccount",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ADMINISTRATION_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "StateEncryptionThroughS3ByAccountPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": USE_THROUGH_S3,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{names.region}.amazonaws.com",
                        "kms:CallerAccount": names.account_id,
                    }
                },
            },
        ],
    }


def ensure_key(ctx: Context) -> Outcome:
    """Find the key by its alias, or create it with its policy and tags, and the alias."""
    names = ctx.names
    found = ctx.read("kms", "DescribeKey", ("NotFoundException",), KeyId=names.alias)
    if found is not None:
        meta = found["KeyMetadata"]
        if meta.get("KeyState") != "Enabled":
            raise BootstrapRefused(
                f"the state key {names.alias} ({meta['Arn']}) is {meta.get('KeyState')}: S3 cannot "
                "encrypt state with it; enable it (aws kms cancel-key-deletion, then aws kms "
                "enable-key) and run bootstrap again"
            )
        ctx.key_arn = str(meta["Arn"])
        return outcome("kms key", [], f"{names.alias} -> {ctx.key_arn}")
    create = Call("kms", "CreateKey", {
        "Description": f"Terraform state of {names.project} {names.environment}",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Policy": json.dumps(key_policy(names, ctx.partition)),
        "Tags": [{"TagKey": k, "TagValue": v} for k, v in tags(names).items()],
    })  # fmt: skip
    created = ctx.send(create)
    ctx.key_arn = created.get("KeyMetadata", {}).get("Arn")
    ctx.key_created = True
    alias = Call("kms", "CreateAlias", {"AliasName": names.alias, "TargetKeyId": ctx.key_reference})
    ctx.send(alias)
    return outcome("kms key", [create, alias], f"{names.alias} -> {ctx.key_reference}", new=True)


def ensure_rotation(ctx: Context) -> Outcome:
    """Yearly automatic rotation (EnableKeyRotation's default period)."""
    if not ctx.key_created:
        status = ctx.read("kms", "GetKeyRotationStatus", KeyId=ctx.key_reference)
        if status and status.get("KeyRotationEnabled"):
            return outcome("key rotation", [], "enabled")
    call = Call("kms", "EnableKeyRotation", {"KeyId": ctx.key_reference})
    ctx.send(call)
    return outcome("key rotation", [call], "enabled", new=ctx.key_created)


def ensure_key_policy(ctx: Context) -> Outcome:
    """The key policy above; a new key got it from CreateKey."""
    wanted = key_policy(ctx.names, ctx.partition)
    if ctx.key_created:
        return Outcome("key policy", "created", "set by CreateKey")
    found = ctx.read("kms", "GetKeyPolicy", KeyId=ctx.key_reference, PolicyName="default")
    if found and same_policy(json.loads(found["Policy"]), wanted):
        return outcome("key policy", [], "account administers; use only through S3")
    call = Call("kms", "PutKeyPolicy", {
        "KeyId": ctx.key_reference, "PolicyName": "default", "Policy": json.dumps(wanted),
    })  # fmt: skip
    ctx.send(call)
    return outcome("key policy", [call], "account administers; use only through S3")
