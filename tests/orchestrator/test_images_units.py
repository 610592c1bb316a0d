"""The image helpers on their own: engine detection with real executables on PATH, commit tags
from a real git checkout, and the references ``--image`` accepts or refuses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from orchestrator.errors import UserError
from orchestrator.images.build import build_image, variant_tag
from orchestrator.images.engine import (
    ContainerEngine,
    NoContainerEngine,
    find_engine,
    is_loopback_registry,
)
from orchestrator.images.reference import (
    BadImageReference,
    Repository,
    Requested,
    requested_image,
    split_reference,
)
from orchestrator.images.repository import protection_tag
from orchestrator.images.source import (
    REPOSITORY_ROOT,
    NotAGitCheckout,
    refuse_dirty,
    source_tag,
)
from orchestrator.settings.names import IMAGE_TAG_PATTERN

ECR = Repository("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "mlops-demo-dev")
DIGEST = "sha256:" + "ab" * 32


def fake_engine(folder: Path, name: str, info_exit: int) -> None:
    script = folder / name
    refuse = f"echo '{name} says no' >&2; exit {info_exit}"
    script.write_text(f'#!/bin/sh\n[ "$1" = info ] && {{ {refuse}; }}\nexit 0\n')
    script.chmod(0o755)


def test_a_docker_client_without_a_daemon_is_not_an_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_engine(tmp_path, "docker", info_exit=1)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NoContainerEngine) as refused:
        find_engine()
    message = str(refused.value)
    assert "docker: installed but not working (docker says no)" in message
    assert "podman: not installed" in message and "podman-setup.sh" in message
    fake_engine(tmp_path, "podman", info_exit=0)
    assert find_engine().name == "podman"
    with pytest.raises(NoContainerEngine, match="drop --engine docker"):
        find_engine("docker")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_the_tag_is_the_commit_and_dirty_when_the_build_context_changed(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "containers").mkdir()
    (tmp_path / "containers" / "a.txt").write_text("one\n")
    git(tmp_path, "add", "containers/a.txt")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one")
    clean = source_tag(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{12}", clean)
    (tmp_path / "elsewhere.txt").write_text("not part of the image\n")
    assert source_tag(tmp_path) == clean
    (tmp_path / "containers" / "a.txt").write_text("two\n")
    assert source_tag(tmp_path) == f"{clean}-dirty"
    (tmp_path / "containers" / "a.txt").write_text("one\n")
    (tmp_path / "containers" / "new.txt").write_text("untracked\n")
    assert source_tag(tmp_path) == f"{clean}-dirty"


def test_outside_a_checkout_the_tag_cannot_be_made(tmp_path: Path) -> None:
    with pytest.raises(NotAGitCheckout, match="not a git checkout"):
        source_tag(tmp_path)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_refuse_dirty_images(environment: str) -> None:
    with pytest.raises(UserError, match="uncommitted changes"):
        refuse_dirty("0123456789ab-dirty", environment, "image push")
    refuse_dirty("0123456789ab", environment, "image push")


def test_dev_takes_dirty_images() -> None:
    refuse_dirty("0123456789ab-dirty", "dev", "image push")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0123456789ab", Requested(tag="0123456789ab")),
        (DIGEST, Requested(digest=DIGEST)),
        (f"{ECR.url}:v1.2", Requested(tag="v1.2")),
        (f"{ECR.url}@{DIGEST}", Requested(digest=DIGEST)),
    ],
)
def test_image_values_that_name_an_image_of_the_repository(value: str, expected: Requested) -> None:
    assert requested_image(value, ECR) == expected


@pytest.mark.parametrize(
    "value",
    [
        "docker.io/library/python:3.11",
        f"{ECR.host}/another-repo:v1",
        "sha256:ABC",
        "-leading-dash",
        "x" * 129,
        f"{ECR.url}@sha256:short",
    ],
)
def test_image_values_that_do_not_are_refused(value: str) -> None:
    with pytest.raises(BadImageReference):
        requested_image(value, ECR)


def test_references_split_into_repository_and_tag_or_digest() -> None:
    assert split_reference(f"{ECR.url}:v1") == (ECR, Requested(tag="v1"))
    assert split_reference(f"{ECR.url}@{DIGEST}") == (ECR, Requested(digest=DIGEST))
    assert split_reference("127.0.0.1:5000/x/y:1") == (
        Repository("127.0.0.1:5000", "x/y"),
        Requested(tag="1"),
    )
    with pytest.raises(BadImageReference, match="names no tag or digest"):
        split_reference(ECR.url)
    with pytest.raises(BadImageReference, match="not a repository URL"):
        Repository.parse("just-a-name")


def test_ecr_and_loopback_hosts_are_recognised() -> None:
    assert ECR.is_ecr
    assert not Repository("127.0.0.1:5000", "x").is_ecr
    assert is_loopback_registry("127.0.0.1:5000") and is_loopback_registry("localhost")
    assert not is_loopback_registry("registry.example.com:5000")


def test_the_protection_tag_is_a_valid_tag_unique_to_the_digest() -> None:
    tag = protection_tag(DIGEST)
    assert re.fullmatch(IMAGE_TAG_PATTERN, tag) and tag.startswith("keep-")
    assert protection_tag("sha256:" + "cd" * 32) != tag


def test_the_gpu_variant_is_tagged_apart_and_a_dirty_build_stays_refusable() -> None:
    assert variant_tag("0123456789ab", "cpu") == "0123456789ab"
    assert variant_tag("0123456789ab", "gpu") == "0123456789ab-gpu"
    dirty = variant_tag("0123456789ab-dirty", "gpu")
    assert dirty == "0123456789ab-gpu-dirty" and re.match(IMAGE_TAG_PATTERN, dirty)
    with pytest.raises(UserError, match="uncommitted changes"):
        refuse_dirty(dirty, "prod", "image build")
    with pytest.raises(ValueError, match="not one of"):
        variant_tag("0123456789ab", "tpu")


def test_build_passes_the_variant_and_base_image_to_the_engine(tmp_path: Path) -> None:
    """A recording engine: the gpu build gets VARIANT=gpu, the cpu build no VARIANT at all (the
    Dockerfile's default), and the id is read back from `image inspect`."""
    log = tmp_path / "calls"
    script = tmp_path / "engine"
    script.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = image ] && echo sha256:abc\nexit 0\n'
    )
    script.chmod(0o755)
    engine = ContainerEngine("podman", str(script))
    built = build_image(engine, "t-gpu", base_image="base:1", variant="gpu", progress=print)
    build_image(engine, "t", variant="cpu", progress=print)
    calls = log.read_text().splitlines()
    assert "--build-arg BASE_IMAGE=base:1 --build-arg VARIANT=gpu" in calls[0]
    assert "VARIANT" not in calls[2] and "ml-containers:t " in calls[2]
    assert built.reference == "ml-containers:t-gpu" and built.image_id == "sha256:abc"


def test_the_dockerfile_swaps_xgboost_for_the_cuda_wheel_of_the_same_version() -> None:
    """The gpu variant replaces the CPU-only wheel with PyPI's full one at the version pip
    resolved for xgboost-cpu, refuses any other VARIANT, and labels the image with it."""
    text = (REPOSITORY_ROOT / "containers" / "Dockerfile").read_text()
    assert 'm.version("xgboost-cpu")' in text
    assert "pip uninstall -y -q xgboost-cpu" in text
    assert 'pip install --no-compile "xgboost==${version}"' in text
    assert "VARIANT must be cpu or gpu" in text
    assert text.count("ARG VARIANT=cpu") == 2  # both stages (an ARG ends at its FROM)
    assert 'ml-containers.variant="${VARIANT}"' in text
