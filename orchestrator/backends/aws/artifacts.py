"""The :class:`~orchestrator.backends.base.ArtifactStore` on Amazon S3.

Uploads name SSE-KMS and the stack's key for their bucket explicitly. The stack's bucket
policies (terraform/modules/storage) refuse an upload whose encryption header names anything
else, and an explicit header keeps objects on the stack's key whatever the bucket default
becomes. A prefix (a URI ending in ``/``, or one that is not an object) stands for every object
below it, as in the local store and as SageMaker reads an S3Prefix input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws import object_versions
from orchestrator.backends.aws.clients import aws_errors, error_code
from orchestrator.backends.aws.errors import AwsRequestError
from orchestrator.backends.aws.pagination import list_all
from orchestrator.backends.fingerprint import objects_digest
from orchestrator.backends.recovery import ObjectVersion


def split_uri(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of an ``s3://bucket/key`` URI."""
    if not uri.startswith("s3://"):
        raise AwsRequestError(f"{uri!r} is not an s3:// URI; write s3://<bucket>/<key>")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise AwsRequestError(f"{uri!r} names no bucket; write s3://<bucket>/<key>")
    return bucket, key


class S3ArtifactStore:
    """S3 through one boto3 client; ``kms_keys`` maps a bucket to the KMS key ARN its objects
    are encrypted with."""

    def __init__(self, s3: Any, kms_keys: Mapping[str, str] | None = None) -> None:
        self.s3 = s3
        self.kms_keys = dict(kms_keys or {})

    def _objects(self, uri: str) -> list[dict[str, Any]]:
        bucket, prefix = split_uri(uri)
        with aws_errors(f"list {uri}"):
            return list_all(self.s3, "list_objects_v2", "Contents", Bucket=bucket, Prefix=prefix)

    def _keys(self, uri: str) -> list[str]:
        return [str(o["Key"]) for o in self._objects(uri)]

    def _is_object(self, bucket: str, key: str) -> bool:
        if not key or key.endswith("/"):
            return False
        with aws_errors(f"look up s3://{bucket}/{key}"):
            try:
                self.s3.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    def _prefix(self, uri: str) -> str:
        return uri if uri.endswith("/") else f"{uri}/"

    def exists(self, uri: str) -> bool:
        """An object, or a "folder": any object under ``<uri>/``."""
        bucket, key = split_uri(uri)
        return self._is_object(bucket, key) or bool(self._keys(self._prefix(uri)))

    def fingerprint(self, uri: str) -> str | None:
        """Over every object SageMaker's S3Prefix input reads at ``uri``: each key that starts
        with the URI's key (ListObjectsV2, all pages), by key, size and ETag. Folder markers are
        skipped as :meth:`download` skips them. An ETag is the object's MD5 only for plain
        single-part uploads; under SSE-KMS each upload gets its own, so re-uploading the same
        bytes is a new version: a cache miss, never a stale hit."""
        prefix = split_uri(uri)[1]
        return objects_digest(
            (str(o["Key"])[len(prefix) :], int(o.get("Size", 0)), str(o.get("ETag", "")))
            for o in self._objects(uri)
            if not str(o["Key"]).endswith("/")
        )

    def read_bytes(self, uri: str) -> bytes:
        bucket, key = split_uri(uri)
        with aws_errors(f"read {uri}"):
            try:
                return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            except ClientError as exc:
                if error_code(exc) in ("NoSuchKey", "404", "NoSuchBucket"):
                    raise AwsRequestError(f"{uri} does not exist; upload it first") from None
                raise

    def publish(self, source: Path, uri: str) -> str:
        bucket, key = split_uri(uri)
        files = (
            [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        )
        for path in files:
            target = key if source.is_file() else f"{key.rstrip('/')}/{path.relative_to(source)}"
            extra: dict[str, str] = {}
            if bucket in self.kms_keys:
                extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_keys[bucket]}
            with aws_errors(f"upload {path} to s3://{bucket}/{target}"):
                self.s3.upload_file(str(path), bucket, target, ExtraArgs=extra or None)
        return uri

    def download(self, uri: str, destination: Path) -> list[Path]:
        """As SageMaker copies an S3Prefix input: an object keeps its name, the objects under a
        prefix keep their paths relative to it. Folder markers (empty objects named ``.../``, as
        the S3 console's "Create folder" makes) are no files and are not copied."""
        bucket, key = split_uri(uri)
        if self._is_object(bucket, key):
            pairs = [(key, destination / Path(key).name)]
        else:
            prefix = split_uri(self._prefix(uri))[1]
            keys = [k for k in self._keys(self._prefix(uri)) if not k.endswith("/")]
            pairs = [(k, destination / k[len(prefix) :]) for k in keys]
        if not pairs:
            raise AwsRequestError(f"nothing is stored at {uri}; upload it first")
        for found, target in pairs:
            target.parent.mkdir(parents=True, exist_ok=True)
            with aws_errors(f"download s3://{bucket}/{found}"):
                self.s3.download_file(bucket, found, str(target))
        return sorted(target for _, target in pairs)

    # -- versions (backends/recovery.py: VersionedStore; aws/object_versions.py) ---------------
    def check_versioned(self, prefix: str) -> None:
        object_versions.check_versioned(self.s3, prefix)

    def versions(self, prefix: str) -> list[ObjectVersion]:
        return object_versions.versions(self.s3, prefix)

    def restore_version(self, version: ObjectVersion) -> None:
        object_versions.restore_version(self.s3, self.kms_keys, version)

    def delete(self, uris: list[str]) -> None:
        object_versions.delete(self.s3, uris)
