"""``orchestrator image push`` for real: a podman/docker build pushed through the CLI to a real
registry on 127.0.0.1 (Debian's docker-registry, htpasswd-protected) that accepts only the login
moto's GetAuthorizationToken hands out; then ``pipeline upsert --image`` resolves and protects
the pushed image through the same registry."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from local_registry import LocalRegistry, running_registry
from test_cli_aws import cli, credentials, envdir, moto, stack_outputs  # noqa: F401

from orchestrator.images.build import local_reference
from orchestrator.images.distribution import DistributionRepository
from orchestrator.images.engine import ContainerEngine
from orchestrator.images.reference import Repository
from orchestrator.images.repository import protection_tag

pytestmark = [pytest.mark.xdist_group("container-image"), pytest.mark.slow]
NAME = "mlops-demo-dev"


@pytest.fixture
def registry(moto: dict[str, Any], tmp_path: Path) -> Iterator[LocalRegistry]:  # noqa: F811
    """A registry whose only user is the one moto's ECR login names."""
    import base64

    data = moto["ecr"].get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    with running_registry(tmp_path / "registry", user, password) as running:
        yield running


@pytest.fixture
def outputs_file(registry: LocalRegistry, tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    outputs = stack_outputs(ecr_repository_url=f"{registry.host}/{NAME}")
    path.write_text(json.dumps(outputs.to_terraform_json()))
    return path


BUILT: set[str] = set()  # the tags this test built


def build_small_image(engine: ContainerEngine, base: str | None, tag: str, tmp_path: Path) -> str:
    """A small image kept under the name ``image build`` uses; a fresh label makes it unique."""
    context = tmp_path / f"context-{uuid.uuid4().hex[:8]}"
    context.mkdir()
    base = base or "python:3.11-slim-bookworm"
    (context / "Dockerfile").write_text(f"FROM {base}\nLABEL test.build={uuid.uuid4().hex}\n")
    BUILT.add(tag)
    engine.run("build", "--tag", local_reference(tag), str(context))
    image_id = engine.image_id(local_reference(tag))
    assert image_id
    return image_id


def push(envdir: Path, outputs_file: Path, tag: str) -> int:  # noqa: F811
    return cli(
        envdir, "image", "push", "--tag", tag, "--stack-outputs", str(outputs_file),
        "--output", "json",
    )  # fmt: skip


def test_push_reads_the_digest_back_and_a_second_push_is_a_no_op(
    container_engine: ContainerEngine,
    container_base_image: str | None,
    registry: LocalRegistry,
    envdir: Path,  # noqa: F811
    outputs_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tag = f"{uuid.uuid4().hex[:12]}"
    build_small_image(container_engine, container_base_image, tag, tmp_path)
    assert push(envdir, outputs_file, tag) == 0, capsys.readouterr().err
    first = json.loads(capsys.readouterr().out)
    assert first["pushed"] is True
    remote = DistributionRepository(
        Repository(registry.host, NAME), registry.username, registry.password
    )
    assert remote.digest_of(tag) == first["digest"]
    assert first["pinned"] == f"{registry.host}/{NAME}@{first['digest']}"

    assert push(envdir, outputs_file, tag) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["pushed"], again["digest"]) == (False, first["digest"])


def test_the_same_tag_with_another_image_is_refused(
    container_engine: ContainerEngine,
    container_base_image: str | None,
    registry: LocalRegistry,
    envdir: Path,  # noqa: F811
    outputs_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tag = f"{uuid.uuid4().hex[:12]}"
    build_small_image(container_engine, container_base_image, tag, tmp_path)
    assert push(envdir, outputs_file, tag) == 0
    capsys.readouterr()
    build_small_image(container_engine, container_base_image, tag, tmp_path)  # a rebuild
    assert push(envdir, outputs_file, tag) == 2
    err = capsys.readouterr().err
    assert "already holds another image" in err and "immutable" in err


def test_pushing_a_tag_never_built_names_the_build_command(
    container_engine: ContainerEngine,
    envdir: Path,  # noqa: F811
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert push(envdir, outputs_file, "feedfacecafe") == 2
    assert "orchestrator image build" in capsys.readouterr().err


def test_upsert_resolves_and_protects_the_pushed_image(
    container_engine: ContainerEngine,
    container_base_image: str | None,
    registry: LocalRegistry,
    envdir: Path,  # noqa: F811
    outputs_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tag = f"{uuid.uuid4().hex[:12]}"
    build_small_image(container_engine, container_base_image, tag, tmp_path)
    assert push(envdir, outputs_file, tag) == 0
    digest = json.loads(capsys.readouterr().out)["digest"]
    args = ["pipeline", "upsert", "--image", tag, "--stack-outputs", str(outputs_file)]
    assert cli(envdir, *args, "--output", "json") == 0
    assert json.loads(capsys.readouterr().out)["image"] == f"{registry.host}/{NAME}@{digest}"
    remote = DistributionRepository(
        Repository(registry.host, NAME), registry.username, registry.password
    )
    assert remote.digest_of(protection_tag(digest)) == digest


def test_a_login_the_registry_refuses_exits_1_naming_the_login(
    container_engine: ContainerEngine,
    container_base_image: str | None,
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with running_registry(tmp_path / "other", "AWS", "not-the-ecr-token") as other:
        outputs = tmp_path / "other-outputs.json"
        url = f"{other.host}/{NAME}"
        outputs.write_text(json.dumps(stack_outputs(ecr_repository_url=url).to_terraform_json()))
        tag = f"{uuid.uuid4().hex[:12]}"
        build_small_image(container_engine, container_base_image, tag, tmp_path)
        code = push(envdir, outputs, tag)
    err = capsys.readouterr().err
    assert code in (1, 2) and "Traceback" not in err
    assert f"{other.host}" in err


@pytest.fixture(autouse=True)
def _remove_test_images(container_engine: ContainerEngine) -> Iterator[None]:
    """The images this test built or pushed (its uuid tags, under any name) are removed, and
    only those: other test sessions may share the engine's storage."""
    BUILT.clear()
    yield
    names = subprocess.run(
        [container_engine.executable, "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    for name in names:
        if name.rpartition(":")[2] in BUILT:
            subprocess.run([container_engine.executable, "rmi", "-f", name], capture_output=True)
