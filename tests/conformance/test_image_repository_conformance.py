"""One suite for :class:`~orchestrator.images.repository.ImageRepository`, run against ECR's API
(moto, in-process) and the distribution API of a real registry (Debian's docker-registry on
127.0.0.1, with authentication): the two ways the orchestrator reads and tags images."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import pytest
from ecr_images import blobs_for, create_repository, manifest_for, put_image
from local_registry import running_registry, upload_image
from moto import mock_aws

from orchestrator.backends.aws.ecr import EcrImageRepository
from orchestrator.images.distribution import DistributionRepository
from orchestrator.images.reference import Repository
from orchestrator.images.repository import ImageRepository, protection_tag

NAME = "mlops-demo-dev"


@dataclass
class Subject:
    images: ImageRepository
    push: object  # (tag, seed) -> digest, the way a client's push leaves the image


def _ecr(tmp_path: Path) -> Iterator[Subject]:
    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with mock.patch.dict(os.environ, fake), mock_aws():
        ecr = boto3.client("ecr", region_name="us-east-1")
        create_repository(ecr, NAME)
        yield Subject(
            EcrImageRepository(ecr, NAME), lambda tag, seed: put_image(ecr, NAME, tag, seed)
        )


def _registry(tmp_path: Path) -> Iterator[Subject]:
    with running_registry(tmp_path / "registry", "AWS", "token-from-ecr") as registry:

        def push(tag: str, seed: str) -> str:
            text, digest, _ = manifest_for(seed)
            upload_image(registry, NAME, tag, text, blobs_for(seed))
            return digest

        repository = Repository(registry.host, NAME)
        yield Subject(DistributionRepository(repository, "AWS", "token-from-ecr"), push)


@pytest.fixture(params=["ecr-moto", "docker-registry"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    factory = {"ecr-moto": _ecr, "docker-registry": _registry}[request.param]
    yield from factory(tmp_path)


def test_an_unknown_tag_or_digest_is_none(subject: Subject) -> None:
    assert subject.images.digest_of("0123abcd0123") is None
    assert subject.images.manifest("sha256:" + "0" * 64) is None


def test_a_pushed_tag_resolves_to_the_digest_of_its_manifest_bytes(subject: Subject) -> None:
    digest = subject.push("0123abcd0123", "one")  # type: ignore[operator]
    assert subject.images.digest_of("0123abcd0123") == digest
    manifest = subject.images.manifest(digest)
    assert manifest is not None
    assert "sha256:" + hashlib.sha256(manifest.body).hexdigest() == digest
    assert manifest.config_digest == manifest_for("one")[2]
    assert manifest.media_type == "application/vnd.oci.image.manifest.v1+json"


def test_add_tag_points_a_new_tag_at_the_image_and_is_idempotent(subject: Subject) -> None:
    digest = subject.push("0123abcd0123", "one")  # type: ignore[operator]
    other = subject.push("4567abcd4567", "two")  # type: ignore[operator]
    for _ in range(2):
        subject.images.add_tag(digest, protection_tag(digest))
    assert subject.images.digest_of(protection_tag(digest)) == digest
    assert subject.images.digest_of("0123abcd0123") == digest  # the old tag stays
    assert subject.images.digest_of("4567abcd4567") == other
