"""The stack's ECR repository through ECR's own API, and the login token for pushing to it.

- ``digest_of(tag)``: DescribeImages (ImageNotFoundException: no such tag).
- ``manifest(digest)``: BatchGetImage, asking for the manifest types docker and podman push.
- ``add_tag``: PutImage with the stored manifest and its digest. In an IMMUTABLE repository a
  *new* tag on an existing image is allowed; re-putting a tag the image already has is answered
  ImageAlreadyExistsException, which is what we wanted (API reference, PutImage, Errors).
- ``registry_login``: GetAuthorizationToken. The token is base64 ``AWS:<password>``, valid for
  12 hours for every registry the caller may use (API reference, AuthorizationData).
"""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import aws_errors, error_code
from orchestrator.images.repository import (
    MANIFEST_MEDIA_TYPES,
    Manifest,
    RegistryLogin,
    RegistryUnavailable,
)

_ALREADY_TAGGED = frozenset({"ImageAlreadyExistsException"})


def registry_login(ecr: Any) -> RegistryLogin:
    """A push/pull login for the caller's registries (GetAuthorizationToken)."""
    with aws_errors("get an ECR login token (ecr:GetAuthorizationToken)"):
        data = ecr.get_authorization_token()["authorizationData"][0]
    username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    return RegistryLogin(username, password)


class EcrImageRepository:
    """One ECR repository, by name."""

    def __init__(self, ecr: Any, repository_name: str) -> None:
        self._ecr = ecr
        self._name = repository_name

    def digest_of(self, tag: str) -> str | None:
        with aws_errors(f"look up {self._name}:{tag} (ecr:DescribeImages)"):
            try:
                found = self._ecr.describe_images(
                    repositoryName=self._name, imageIds=[{"imageTag": tag}]
                )
            except ClientError as exc:
                if error_code(exc) == "ImageNotFoundException":
                    return None
                raise
        details = found.get("imageDetails") or []
        return str(details[0]["imageDigest"]) if details else None

    def manifest(self, digest: str) -> Manifest | None:
        with aws_errors(f"read {self._name}@{digest} (ecr:BatchGetImage)"):
            found = self._ecr.batch_get_image(
                repositoryName=self._name,
                imageIds=[{"imageDigest": digest}],
                acceptedMediaTypes=list(MANIFEST_MEDIA_TYPES),
            )
        images = found.get("images") or []
        if not images:
            return None
        image = images[0]
        return Manifest(
            str(image["imageId"]["imageDigest"]),
            str(image.get("imageManifestMediaType") or ""),
            str(image["imageManifest"]).encode(),
        )

    def add_tag(self, digest: str, tag: str) -> None:
        found = self.manifest(digest)
        if found is None:
            raise RegistryUnavailable(f"cannot tag {digest}: {self._name} has no such image")
        arguments: dict[str, Any] = {
            "repositoryName": self._name,
            "imageManifest": found.body.decode(),
            "imageTag": tag,
            "imageDigest": digest,
        }
        if found.media_type:
            arguments["imageManifestMediaType"] = found.media_type
        with aws_errors(f"tag {self._name}@{digest} as {tag} (ecr:PutImage)"):
            try:
                self._ecr.put_image(**arguments)
            except ClientError as exc:
                if error_code(exc) not in _ALREADY_TAGGED:
                    raise
