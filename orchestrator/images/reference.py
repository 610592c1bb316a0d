"""Image references as registries spell them: ``host/name:tag`` and ``host/name@digest``.

SageMaker takes either form in ``ImageUri``/``TrainingImage``/``Image``; a tag is looked up when
the job or model is created, a digest names exactly one manifest forever. Everything that runs
the image references it by digest, so what a pipeline trained with is what an endpoint serves,
whatever is pushed later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.errors import UserError
from orchestrator.settings.names import IMAGE_TAG_PATTERN

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(IMAGE_TAG_PATTERN)
# ECR's registry host: <account>.dkr.ecr.<region>.amazonaws.com (and .com.cn in China regions).
ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?$"
)


class BadImageReference(UserError):
    """An ``--image`` value that is not a tag, digest or reference into the stack's repository."""


@dataclass(frozen=True)
class Repository:
    """One image repository: ``host/name`` (the stack's ``ecr_repository_url``)."""

    host: str
    name: str

    @classmethod
    def parse(cls, url: str) -> Repository:
        host, slash, name = url.partition("/")
        if not slash or not name or not host or ("." not in host and ":" not in host):
            raise BadImageReference(
                f"{url!r} is not a repository URL (host/name, e.g. "
                "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlops-demo-dev)"
            )
        return cls(host, name)

    @property
    def url(self) -> str:
        return f"{self.host}/{self.name}"

    @property
    def is_ecr(self) -> bool:
        return ECR_HOST.match(self.host) is not None

    def tagged(self, tag: str) -> str:
        return f"{self.url}:{tag}"

    def pinned(self, digest: str) -> str:
        return f"{self.url}@{digest}"


@dataclass(frozen=True)
class Requested:
    """What ``--image`` (or the default) asks for inside one repository: a tag or a digest."""

    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        return self.digest or str(self.tag)


def requested_image(value: str, repository: Repository) -> Requested:
    """``--image`` as a tag (``3f2a9c1d0e4b``), a digest (``sha256:...``) or a full reference
    into ``repository`` (``<url>:<tag>`` or ``<url>@sha256:...``); anything else is refused."""
    text = value.strip()
    if text.startswith(repository.url):
        rest = text[len(repository.url) :]
        if rest.startswith("@"):
            return _digest(rest[1:], value)
        if rest.startswith(":"):
            return _tag(rest[1:], value)
    elif "/" not in text:
        return _digest(text, value) if text.startswith("sha256:") else _tag(text, value)
    raise BadImageReference(
        f"--image {value!r} is not in this environment's repository {repository.url}: give a "
        f"tag (e.g. the commit `image build` tagged), a digest (sha256:...), or "
        f"{repository.url}:<tag> / {repository.url}@sha256:<digest>"
    )


def _digest(text: str, value: str) -> Requested:
    if not DIGEST_PATTERN.match(text):
        raise BadImageReference(
            f"--image {value!r}: a digest is sha256: followed by 64 lowercase hex digits"
        )
    return Requested(digest=text)


def _tag(text: str, value: str) -> Requested:
    if not _TAG.match(text):
        raise BadImageReference(
            f"--image {value!r}: {text!r} is not a valid image tag (letters, digits, '_', '.', "
            "'-', at most 128, not starting with '.' or '-')"
        )
    return Requested(tag=text)


def split_reference(reference: str) -> tuple[Repository, Requested]:
    """A full reference (``host/name:tag`` or ``host/name@sha256:...``) into its parts."""
    if "@" in reference:
        url, _, digest = reference.partition("@")
        return Repository.parse(url), _digest(digest, reference)
    head, _, last = reference.rpartition("/")
    name, colon, tag = last.partition(":")
    if not colon:
        raise BadImageReference(f"{reference!r} names no tag or digest")
    return Repository.parse(f"{head}/{name}"), _tag(tag, reference)
