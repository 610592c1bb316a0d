"""The IAM actions a bootstrap principal needs, per call bootstrap makes.

The test suite records every call made from this package under ``bootstrap`` in
``orchestrator/preflight/aws_calls.json`` (``tests/aws_call_recorder.py``); the coverage rule
does not hold the orchestrator's roles to them, because bootstrap runs with an administrator's
credentials before those roles exist. Instead a test checks that every recorded call is mapped
here, that every action is in the IAM reference, and that ``docs/bootstrap.md`` lists them.

Where the action is not the operation's name (S3 user guide, "Amazon S3 actions"; KMS developer
guide, "Permissions reference"): HeadBucket and ListBuckets are ``s3:ListBucket`` and
``s3:ListAllMyBuckets``; the encryption and public access block calls are
``s3:Get/PutEncryptionConfiguration`` and ``s3:Get/PutBucketPublicAccessBlock``; CreateBucket
with ObjectOwnership also needs ``s3:PutBucketOwnershipControls``; CreateKey with Tags needs
``kms:TagResource``; CreateAlias is authorised on the alias and on the key.
"""

from __future__ import annotations

BOOTSTRAP_ACTIONS: dict[str, tuple[str, ...]] = {
    "sts:GetCallerIdentity": (),  # needs no permission (STS user guide)
    "kms:DescribeKey": ("kms:DescribeKey",),
    "kms:CreateKey": ("kms:CreateKey", "kms:TagResource"),
    "kms:CreateAlias": ("kms:CreateAlias",),
    "kms:GetKeyRotationStatus": ("kms:GetKeyRotationStatus",),
    "kms:EnableKeyRotation": ("kms:EnableKeyRotation",),
    "kms:GetKeyPolicy": ("kms:GetKeyPolicy",),
    "kms:PutKeyPolicy": ("kms:PutKeyPolicy",),
    "s3:ListBuckets": ("s3:ListAllMyBuckets",),
    "s3:GetBucketLocation": ("s3:GetBucketLocation",),
    "s3:CreateBucket": ("s3:CreateBucket", "s3:PutBucketOwnershipControls"),
    "s3:GetBucketOwnershipControls": ("s3:GetBucketOwnershipControls",),
    "s3:PutBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
    "s3:GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "s3:PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "s3:GetBucketVersioning": ("s3:GetBucketVersioning",),
    "s3:PutBucketVersioning": ("s3:PutBucketVersioning",),
    "s3:GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "s3:PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "s3:GetBucketPolicy": ("s3:GetBucketPolicy",),
    "s3:PutBucketPolicy": ("s3:PutBucketPolicy",),
    "s3:GetBucketTagging": ("s3:GetBucketTagging",),
    "s3:PutBucketTagging": ("s3:PutBucketTagging",),
}


def bootstrap_actions() -> list[str]:
    """Every action of every call, sorted, once."""
    return sorted({action for actions in BOOTSTRAP_ACTIONS.values() for action in actions})
