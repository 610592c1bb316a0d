"""From what a command asks for (a commit's tag, ``--image``) to ``repo@sha256:...``.

Every job and model runs the image by digest, resolved here before anything on AWS changes: an
image that is not in the repository is refused (exit 2) with the command that pushes it. The
resolved image also gets its protection tag (:func:`~orchestrator.images.repository.protection_tag`)
so the repository's lifecycle policy never expires an image a pipeline, model package or
endpoint still references.
"""

from __future__ import annotations

from orchestrator.errors import UserError
from orchestrator.images.reference import Repository, Requested
from orchestrator.images.repository import ImageRepository, protection_tag


class ImageNotInRepository(UserError):
    """The image asked for was never pushed (or was deleted); the message names the push."""


def pinned_image(
    images: ImageRepository, repository: Repository, requested: Requested, environment: str
) -> str:
    """``<repository>@<digest>`` for ``requested``, after checking the repository holds it."""
    if requested.digest is not None:
        digest: str | None = requested.digest if images.manifest(requested.digest) else None
    else:
        digest = images.digest_of(str(requested.tag))
    if digest is None:
        missing = (
            repository.pinned(str(requested.digest))
            if requested.digest
            else repository.tagged(str(requested.tag))
        )
        raise ImageNotInRepository(
            f"the image {missing} is not in the repository; build and push it with "
            f"`orchestrator image build --env {environment}` then "
            f"`orchestrator image push --env {environment}`"
            + (f" (from the commit it is tagged with, {requested.tag})" if requested.tag else "")
            + ", or pass --image with an image that is there"
        )
    return repository.pinned(digest)


def protect(images: ImageRepository, reference_digest: str) -> None:
    """Tag the image so the lifecycle policy keeps it (idempotent)."""
    images.add_tag(reference_digest, protection_tag(reference_digest))
