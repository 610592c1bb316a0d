"""The state bucket and its settings, one step each, each read before it is changed.

- created in the environment's region: CreateBucket takes no LocationConstraint in us-east-1
  (S3 refuses ``us-east-1`` there) and needs one everywhere else (S3 API reference,
  CreateBucket); with ``ObjectOwnership=BucketOwnerEnforced`` (ACLs off);
- whether the name is ours is asked of ListBuckets (our own buckets), not HeadBucket: HeadBucket
  answers 200 for another account's bucket we may read and 403 for one we may not, so neither
  says who owns it; a name another account holds is CreateBucket's ``BucketAlreadyExists``;
- versioning Enabled (Terraform's S3 backend documentation recommends it: old state versions
  are the way back from a bad apply or a deleted object);
- default encryption SSE-KMS with the state key and an S3 Bucket Key (fewer KMS requests);
- public access block: all four settings on;
- a bucket policy statement (``DenyInsecureTransport``) refusing every request with
  ``aws:SecureTransport = false``; other statements of an existing policy are kept;
- tags ``project``, ``environment``, ``managed-by``; other tags are kept.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.bootstrap.calls import Call, Context, Outcome, outcome, same_policy
from orchestrator.bootstrap.errors import BootstrapInputError
from orchestrator.bootstrap.key import tags

TLS_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _bucket_region(location: dict[str, Any] | None) -> str:
    # GetBucketLocation answers null for us-east-1 and the legacy "EU" for eu-west-1.
    constraint = (location or {}).get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def ensure_bucket(ctx: Context) -> Outcome:
    names = ctx.names
    listed = ctx.read("s3", "ListBuckets", Prefix=names.bucket, MaxBuckets=1000)
    ours = any(b.get("Name") == names.bucket for b in (listed or {}).get("Buckets", []))
    if ours:
        region = _bucket_region(ctx.read("s3", "GetBucketLocation", Bucket=names.bucket))
        if region != names.region:
            raise BootstrapInputError(
                f"the state bucket {names.bucket} exists in {region}, but environment "
                f"{names.environment} says region {names.region}; set region: {region} in "
                f"environments/{names.environment}.yaml, or empty and delete the bucket first"
            )
        return outcome("bucket", [], f"s3://{names.bucket} in {names.region}")
    params: dict[str, Any] = {"Bucket": names.bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if names.region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": names.region}
    call = Call("s3", "CreateBucket", params)
    ctx.send(call, refused={
        "BucketAlreadyExists": f"the bucket name {names.bucket} is taken by another AWS "
        "account (bucket names are global): bootstrap cannot create the state bucket. Check "
        "account_id in the environment file; if it is right, the name was claimed by someone "
        "else and the environment needs another project name",
    })  # fmt: skip
    ctx.bucket_created = True
    return outcome("bucket", [call], f"s3://{names.bucket} in {names.region}", new=True)


def _current(ctx: Context, operation: str, missing: str) -> dict[str, Any] | None:
    """A setting of the bucket; None when the bucket is only planned (dry run) or lacks it."""
    if ctx.bucket_created and not ctx.apply:
        return None
    return ctx.read("s3", operation, (missing,), Bucket=ctx.names.bucket)


def _change(ctx: Context, step: str, call: Call | None, detail: str) -> Outcome:
    if call is not None:
        ctx.send(call)
    return outcome(step, [call] if call else [], detail, new=ctx.bucket_created)


def ensure_ownership(ctx: Context) -> Outcome:
    if ctx.bucket_created:  # CreateBucket's ObjectOwnership set it
        return outcome("object ownership", [], "BucketOwnerEnforced (set by CreateBucket)")
    found = _current(ctx, "GetBucketOwnershipControls", "OwnershipControlsNotFoundError")
    rules = ((found or {}).get("OwnershipControls") or {}).get("Rules", [])
    wanted = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    call = None
    if [r.get("ObjectOwnership") for r in rules] != ["BucketOwnerEnforced"]:
        params = {"Bucket": ctx.names.bucket, "OwnershipControls": wanted}
        call = Call("s3", "PutBucketOwnershipControls", params)
    return _change(ctx, "object ownership", call, "BucketOwnerEnforced (ACLs disabled)")


def ensure_public_access_block(ctx: Context) -> Outcome:
    found = _current(ctx, "GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration")
    call = None
    have = (found or {}).get("PublicAccessBlockConfiguration") or {}
    if any(have.get(name) is not True for name in PUBLIC_ACCESS_BLOCK):
        params = {"Bucket": ctx.names.bucket, "PublicAccessBlockConfiguration": PUBLIC_ACCESS_BLOCK}
        call = Call("s3", "PutPublicAccessBlock", params)
    return _change(ctx, "public access block", call, "all four settings on")


def ensure_versioning(ctx: Context) -> Outcome:
    found = _current(ctx, "GetBucketVersioning", "NoSuchBucket")
    call = None
    if (found or {}).get("Status") != "Enabled":
        params = {"Bucket": ctx.names.bucket, "VersioningConfiguration": {"Status": "Enabled"}}
        call = Call("s3", "PutBucketVersioning", params)
    return _change(ctx, "versioning", call, "Enabled")


def ensure_encryption(ctx: Context) -> Outcome:
    found = _current(ctx, "GetBucketEncryption", "ServerSideEncryptionConfigurationNotFoundError")
    wanted = {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": ctx.key_reference,
        },
        "BucketKeyEnabled": True,
    }
    rules = ((found or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    call = None
    if [_encryption(rule) for rule in rules] != [_encryption(wanted)]:
        config = {"Rules": [wanted]}
        params = {"Bucket": ctx.names.bucket, "ServerSideEncryptionConfiguration": config}
        call = Call("s3", "PutBucketEncryption", params)
    return _change(ctx, "default encryption", call, f"SSE-KMS {ctx.key_reference}, bucket key")


def _encryption(rule: dict[str, Any]) -> tuple[Any, ...]:
    """The fields of a rule bootstrap sets (S3 may answer more, e.g. newer optional ones)."""
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return (
        default.get("SSEAlgorithm"),
        default.get("KMSMasterKeyID"),
        rule.get("BucketKeyEnabled"),
    )


def tls_statement(bucket: str, partition: str = "aws") -> dict[str, Any]:
    arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def ensure_bucket_policy(ctx: Context) -> Outcome:
    found = _current(ctx, "GetBucketPolicy", "NoSuchBucketPolicy")
    policy: dict[str, Any] = json.loads(found["Policy"]) if found else {"Version": "2012-10-17"}
    listed = policy.get("Statement", [])
    statements: list[dict[str, Any]] = [listed] if isinstance(listed, dict) else list(listed)
    ours = [s for s in statements if s.get("Sid") == TLS_SID]
    wanted = tls_statement(ctx.names.bucket, ctx.partition)
    call = None
    if not (len(ours) == 1 and same_policy({"Statement": ours}, {"Statement": [wanted]})):
        others = [s for s in statements if s.get("Sid") != TLS_SID]
        document = {**policy, "Statement": [*others, wanted]}
        call = Call(
            "s3", "PutBucketPolicy", {"Bucket": ctx.names.bucket, "Policy": json.dumps(document)}
        )
    return _change(ctx, "bucket policy", call, "TLS only (aws:SecureTransport)")


def ensure_tags(ctx: Context) -> Outcome:
    found = _current(ctx, "GetBucketTagging", "NoSuchTagSet")
    have = {t["Key"]: t["Value"] for t in (found or {}).get("TagSet", [])}
    wanted = tags(ctx.names)
    call = None
    if any(have.get(k) != v for k, v in wanted.items()):
        merged = {**have, **wanted}
        tag_set = [{"Key": k, "Value": v} for k, v in sorted(merged.items())]
        call = Call(
            "s3", "PutBucketTagging", {"Bucket": ctx.names.bucket, "Tagging": {"TagSet": tag_set}}
        )
    return _change(ctx, "tags", call, ", ".join(f"{k}={v}" for k, v in wanted.items()))
