"""The AWS backend's images: the stack's ECR repository, by digest, protected from expiry.

``for_pipeline`` resolves ``--image`` (or this commit's tag, refusing an uncommitted build for
staging and prod) to ``repo@sha256:...`` and tags the image so the lifecycle policy keeps it;
``check_serving`` refuses to deploy or batch-transform a model package whose image is gone or
lives outside the stack's repository (the execution role may pull only from it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.backends.aws.ecr import EcrImageRepository, registry_login
from orchestrator.errors import UserError
from orchestrator.images.distribution import DistributionRepository
from orchestrator.images.reference import (
    BadImageReference,
    Repository,
    Requested,
    requested_image,
    split_reference,
)
from orchestrator.images.repository import ImageRepository, RegistryLogin
from orchestrator.images.resolve import ImageNotInRepository, pinned_image, protect
from orchestrator.images.source import refuse_dirty, source_tag


class AwsImageSource:
    def __init__(
        self,
        open_images: Callable[[Repository], ImageRepository],
        repository_url: str | None,
        environment: str,
    ) -> None:
        self._open = open_images
        self._repository_url = repository_url
        self._environment = environment

    def _repository(self) -> Repository:
        if not self._repository_url:
            raise UserError(
                "the stack outputs have no ecr_repository_url: apply the stack (its registry "
                "module creates the repository) before running the pipeline"
            )
        return Repository.parse(self._repository_url)

    def for_pipeline(self, requested: str | None) -> str:
        repository = self._repository()
        wanted = requested_image(requested, repository) if requested else Requested(source_tag())
        if wanted.tag is not None:
            refuse_dirty(wanted.tag, self._environment, "the pipeline")
        images = self._open(repository)
        reference = pinned_image(images, repository, wanted, self._environment)
        protect(images, reference.rpartition("@")[2])
        return reference

    def check_serving(self, image_uri: str) -> None:
        repository = self._repository()
        try:
            owner, wanted = split_reference(image_uri)
        except BadImageReference as exc:
            raise UserError(f"the model package's image cannot be served: {exc}") from None
        if owner != repository:
            raise UserError(
                f"the model package's image {image_uri} is not in the stack's repository "
                f"{repository.url}, the only one the execution role may pull from; register "
                "the model with an image pushed by `orchestrator image push`"
            )
        images = self._open(repository)
        try:
            reference = pinned_image(images, repository, wanted, self._environment)
        except ImageNotInRepository as exc:
            raise UserError(
                f"the model package's image {image_uri} is no longer in the repository (was it "
                f"deleted?); {exc}"
            ) from None
        protect(images, reference.rpartition("@")[2])


def repository_images(
    ecr: Any, login: RegistryLogin | None = None
) -> Callable[[Repository], ImageRepository]:
    """ECR's own API for ECR repositories. Any other registry host the stack outputs name (a
    pull-through mirror, the registry on 127.0.0.1 the push tests use) is spoken to through the
    distribution API with the GetAuthorizationToken login, which is also how ECR's registry
    endpoint itself accepts ``/v2/`` requests (Basic auth with the token)."""

    def open_images(repository: Repository) -> ImageRepository:
        if repository.is_ecr:
            return EcrImageRepository(ecr, repository.name)
        found = login or registry_login(ecr)
        return DistributionRepository(repository, found.username, found.password)

    return open_images
