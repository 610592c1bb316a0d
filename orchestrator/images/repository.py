"""What the orchestrator needs from an image repository, whoever hosts it.

Two implementations answer it: :class:`~orchestrator.backends.aws.ecr.EcrImageRepository`
(ECR's API: DescribeImages, BatchGetImage, PutImage) for the stack's repository, and
:class:`~orchestrator.images.distribution.DistributionRepository` (the OCI distribution API
every registry speaks, Debian's ``docker-registry`` among them) for any other registry. One
conformance suite (tests/conformance/test_image_repository.py) runs against both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from orchestrator.errors import OperationFailed

# The manifest types a single-platform image is pushed as by docker (v2 schema 2) and podman
# (OCI, or v2s2 when asked); the registry answers with the one it stored.
MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
# Tags the orchestrator adds to an image that a pipeline definition, model package or endpoint
# references; the ECR lifecycle policy never expires an image carrying one (terraform registry
# module, rule 1). Derived from the digest, so adding it twice is a no-op.
PROTECTION_TAG_PREFIX = "keep-"


def protection_tag(digest: str) -> str:
    """``keep-sha256-<64 hex>``: 76 characters, within the 128 a tag may have."""
    return PROTECTION_TAG_PREFIX + digest.replace(":", "-")


@dataclass(frozen=True)
class RegistryLogin:
    """Credentials for ``<engine> login`` and the distribution API (ECR's are a token)."""

    username: str
    password: str


class RegistryUnavailable(OperationFailed):
    """The registry could not be reached or answered with an error the caller cannot fix."""


@dataclass(frozen=True)
class Manifest:
    """One stored manifest: its digest, media type and bytes exactly as the registry keeps them."""

    digest: str
    media_type: str
    body: bytes

    @property
    def config_digest(self) -> str:
        """The image id (``sha256`` of its config): the same on every engine and registry, so
        a local build and a pushed image are compared by it."""
        try:
            return str(json.loads(self.body)["config"]["digest"])
        except (ValueError, KeyError, TypeError):
            return ""


class ImageRepository(Protocol):
    """One repository of one registry."""

    def digest_of(self, tag: str) -> str | None:
        """The manifest digest ``tag`` points at, or None when no image has that tag."""
        ...

    def manifest(self, digest: str) -> Manifest | None:
        """The manifest stored under ``digest``, or None when the repository lacks it."""
        ...

    def add_tag(self, digest: str, tag: str) -> None:
        """Give the image ``digest`` one more tag (a no-op when it already has it)."""
        ...
