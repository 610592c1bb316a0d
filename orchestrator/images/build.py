"""``orchestrator image build``: the one image, from ``containers/``, tagged with its commit.

The build context is ``containers/`` alone (the package and its Dockerfile), so nothing else in
the checkout can leak into the image. ``--base-image`` becomes the Dockerfile's ``BASE_IMAGE``
build argument, for builders that cannot pull the official Python image. ``--variant gpu`` becomes
its ``VARIANT`` (XGBoost with CUDA) and a ``-gpu`` in the tag, so both variants of one commit can
be kept and pushed side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OperationFailed
from orchestrator.images.engine import ContainerEngine
from orchestrator.images.source import DIRTY_SUFFIX, REPOSITORY_ROOT

CONTEXT = REPOSITORY_ROOT / "containers"
LOCAL_NAME = "ml-containers"
VARIANTS = ("cpu", "gpu")


def variant_tag(tag: str, variant: str) -> str:
    """The tag of ``variant``'s build of the commit ``tag`` (``<sha>``, ``<sha>-gpu``; a dirty
    build keeps ``-dirty`` last, which the staging and prod refusal looks for)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r} is not one of {VARIANTS}")
    if variant == "cpu":
        return tag
    base, dirty, _ = tag.partition(DIRTY_SUFFIX)
    return f"{base}-{variant}{dirty}"


def local_reference(tag: str) -> str:
    """The name a build is kept under on this machine (``ml-containers:<tag>``)."""
    return f"{LOCAL_NAME}:{tag}"


@dataclass(frozen=True)
class BuiltImage:
    """A local image: where to find it, and its id (the digest of its config)."""

    reference: str
    tag: str
    image_id: str
    engine: str

    def to_dict(self) -> dict[str, str]:
        return {
            "reference": self.reference,
            "tag": self.tag,
            "image_id": self.image_id,
            "engine": self.engine,
        }


def build_image(
    engine: ContainerEngine,
    tag: str,
    *,
    base_image: str | None = None,
    variant: str = "cpu",
    context: Path = CONTEXT,
    progress: Callable[[str], None],
) -> BuiltImage:
    """Build ``context`` as ``ml-containers:<tag>``; the image id is read back from the engine."""
    reference = local_reference(tag)
    arguments = ["build", "--tag", reference, "--label", f"org.opencontainers.image.revision={tag}"]
    if base_image:
        arguments += ["--build-arg", f"BASE_IMAGE={base_image}"]
    if variant != "cpu":
        arguments += ["--build-arg", f"VARIANT={variant}"]
    engine.stream(*arguments, str(context), progress=progress, what=f"{engine.name} build")
    image_id = engine.image_id(reference)
    if image_id is None:
        raise OperationFailed(f"{engine.name} build ended but {reference} is not in its images")
    return BuiltImage(reference, tag, image_id, engine.name)
