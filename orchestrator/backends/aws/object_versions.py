"""S3 object versions for a point-in-time restore (``backends/recovery.py: VersionedStore``).

- GetBucketVersioning: a bucket whose versioning is not Enabled is refused. Without it an
  overwritten object's old bytes are gone and a "delete" is final, so a restore there could
  only lose data. (Suspended: new writes replace the ``null`` version in place.)
- ListObjectVersions (every page): the versions and delete markers under a prefix.
- CopyObject with ``CopySource.VersionId``: the old version's bytes become a new latest version
  (IAM: s3:GetObjectVersion on the source, s3:PutObject on the target), encrypted with the
  bucket's stack key like every upload. CopyObject copies at most 5 GiB in one request; a
  bigger version is refused by name rather than copied in parts.
- DeleteObjects without version ids: a delete marker per key, every version kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.recovery import ObjectVersion
from orchestrator.errors import OperationFailed, UserError

MAX_COPY_BYTES = 5 * 1024**3  # CopyObject's limit (S3 API reference, CopyObject)
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


def split(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or not uri[5:].partition("/")[0]:
        raise UserError(f"{uri!r} is not an s3:// URI; write s3://<bucket>/<prefix>")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def check_versioned(s3: Any, prefix: str) -> None:
    bucket, _ = split(prefix)
    with aws_errors(f"read the versioning of bucket {bucket}"):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status") or "never enabled"
    if status != "Enabled":
        raise UserError(
            f"bucket {bucket} has versioning {status}, so it keeps no past versions to restore "
            "and a delete there is final; enable versioning (the stack's storage module does "
            "for its buckets) before relying on a point-in-time restore"
        )


def versions(s3: Any, prefix: str) -> list[ObjectVersion]:
    bucket, key = split(prefix)
    with aws_errors(f"list the object versions under {prefix}"):
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        found: list[ObjectVersion] = []
        for page in pages:
            found += [_entry(bucket, item, False) for item in page.get("Versions", [])]
            found += [_entry(bucket, item, True) for item in page.get("DeleteMarkers", [])]
    return found


def _entry(bucket: str, item: Mapping[str, Any], deleted: bool) -> ObjectVersion:
    modified: datetime = item["LastModified"]
    return ObjectVersion(
        uri=f"s3://{bucket}/{item['Key']}",
        version_id=str(item.get("VersionId") or "null"),
        modified=modified,
        latest=bool(item.get("IsLatest")),
        deleted=deleted,
        size=int(item.get("Size", 0)),
        etag=str(item.get("ETag", "")),
    )


def restore_version(s3: Any, kms_keys: Mapping[str, str], version: ObjectVersion) -> None:
    bucket, key = split(version.uri)
    if version.deleted:
        raise OperationFailed(f"{version.uri} version {version.version_id} is a delete marker")
    if version.size > MAX_COPY_BYTES:
        raise OperationFailed(
            f"{version.uri} version {version.version_id} has {version.size} bytes, more than "
            "CopyObject's 5 GiB; restore it with `aws s3api` multipart copy (UploadPartCopy)"
        )
    extra: dict[str, str] = {}
    if bucket in kms_keys:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_keys[bucket]}
    source = {"Bucket": bucket, "Key": key, "VersionId": version.version_id}
    with aws_errors(f"restore {version.uri} to version {version.version_id}"):
        s3.copy_object(Bucket=bucket, Key=key, CopySource=source, **extra)


def delete(s3: Any, uris: list[str]) -> None:
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        bucket, key = split(uri)
        by_bucket.setdefault(bucket, []).append(key)
    for bucket, keys in by_bucket.items():
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start : start + DELETE_BATCH]]
            with aws_errors(f"delete {len(batch)} objects in {bucket}"):
                answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                failed = ", ".join(f"{e['Key']} ({e.get('Code')})" for e in answer["Errors"])
                raise OperationFailed(f"S3 did not delete: {failed}")
