"""``orchestrator image push``: the local build of a commit into the stack's repository.

The repository is immutable, so a tag names one image forever: pushing a tag the repository
already holds is a no-op when it holds *this* image (same config digest) and an error when it
holds another. After the push the digest is read back from the repository itself, and the
pushed manifest is checked to be this build's, so what is printed is what SageMaker will pull.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.errors import OperationFailed, UserError
from orchestrator.images.build import local_reference
from orchestrator.images.engine import ContainerEngine
from orchestrator.images.reference import Repository
from orchestrator.images.repository import ImageRepository, RegistryLogin


@dataclass(frozen=True)
class PushedImage:
    repository: str
    tag: str
    digest: str
    pushed: bool  # False: the repository already held this image under this tag

    @property
    def pinned(self) -> str:
        return f"{self.repository}@{self.digest}"

    def to_dict(self) -> dict[str, object]:
        return {
            "reference": f"{self.repository}:{self.tag}",
            "digest": self.digest,
            "pinned": self.pinned,
            "pushed": self.pushed,
        }


def _held(images: ImageRepository, digest: str) -> str:
    manifest = images.manifest(digest)
    return manifest.config_digest if manifest else ""


def push_image(
    engine: ContainerEngine,
    tag: str,
    repository: Repository,
    images: ImageRepository,
    login: RegistryLogin,
    progress: Callable[[str], None],
) -> PushedImage:
    """Push ``ml-containers:<tag>`` as ``<repository>:<tag>`` (see the module docstring)."""
    local = local_reference(tag)
    image_id = engine.image_id(local)
    if image_id is None:
        raise UserError(
            f"there is no local image {local} to push; build it first with "
            f"`orchestrator image build` (it tags the image with the commit, {tag})"
        )
    existing = images.digest_of(tag)
    if existing is not None:
        if _held(images, existing) == image_id:
            progress(f"{repository.tagged(tag)} already holds this image ({existing})")
            return PushedImage(repository.url, tag, existing, pushed=False)
        raise UserError(
            f"{repository.tagged(tag)} already holds another image ({existing}) and the "
            f"repository's tags are immutable; build from a new commit (it gets a new tag) "
            f"instead of re-pushing {tag}"
        )
    insecure = engine.insecure_flags(repository.host)
    engine.run(
        "login", *insecure, "--username", login.username, "--password-stdin", repository.host,
        input_text=login.password, what=f"{engine.name} login {repository.host}",
    )  # fmt: skip
    remote = repository.tagged(tag)
    engine.run("tag", local, remote, what=f"{engine.name} tag")
    progress(f"pushing {remote}")
    engine.stream("push", *insecure, remote, progress=progress, what=f"{engine.name} push")
    digest = images.digest_of(tag)
    if digest is None:
        raise OperationFailed(f"{engine.name} push ended but {remote} is not in the repository")
    if _held(images, digest) != image_id:
        raise OperationFailed(
            f"{remote} in the repository ({digest}) is not the local build {image_id}"
        )
    return PushedImage(repository.url, tag, digest, pushed=True)
