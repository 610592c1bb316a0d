"""Images on the AWS path through the CLI against moto: the pipeline runs the image by digest,
the image gets its lifecycle protection tag, and every way of naming an image that is not in the
repository exits 2 before SageMaker changes (fixtures from test_cli_aws)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from ecr_images import put_image, tags_of
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    FAST,
    PREFIX,
    REGION,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    register,
)

from orchestrator.backends.aws.images import AwsImageSource
from orchestrator.errors import UserError
from orchestrator.images.repository import protection_tag
from orchestrator.images.source import source_tag

REPOSITORY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PREFIX}"


def images_in(document: dict[str, Any]) -> set[str]:
    """Every image reference anywhere in a pipeline definition."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"ImageUri", "TrainingImage", "Image"} and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return found


def upsert(envdir: Path, outputs_file: Path, *extra: str) -> int:  # noqa: F811
    return cli(envdir, "pipeline", "upsert", "--stack-outputs", str(outputs_file), *extra)


def test_upsert_pins_every_step_to_the_commits_digest_and_protects_it(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    digest = moto["ecr"].describe_images(
        repositoryName=PREFIX, imageIds=[{"imageTag": source_tag()}]
    )["imageDetails"][0]["imageDigest"]
    assert upsert(envdir, outputs_file, "--output", "json") == 0
    assert json.loads(capsys.readouterr().out)["image"] == f"{REPOSITORY}@{digest}"
    deployed = moto["sagemaker"].describe_pipeline(PipelineName=f"{PREFIX}-training")
    document = json.loads(deployed["PipelineDefinition"])
    assert images_in(document) == {f"{REPOSITORY}@{digest}"}  # steps and model package alike
    assert protection_tag(digest) in tags_of(moto["ecr"], PREFIX, digest)


@pytest.mark.parametrize("form", ["tag", "digest", "tag-reference", "digest-reference"])
def test_image_flag_takes_a_tag_digest_or_reference(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    form: str,
) -> None:
    digest = put_image(moto["ecr"], PREFIX, "0123abcd0123")
    value = {
        "tag": "0123abcd0123",
        "digest": digest,
        "tag-reference": f"{REPOSITORY}:0123abcd0123",
        "digest-reference": f"{REPOSITORY}@{digest}",
    }[form]
    assert upsert(envdir, outputs_file, "--image", value, "--output", "json") == 0
    assert json.loads(capsys.readouterr().out)["image"] == f"{REPOSITORY}@{digest}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("feedfacecafe", "is not in the repository"),
        ("sha256:" + "0" * 64, "is not in the repository"),
        ("docker.io/library/python:3.11", "is not in this environment's repository"),
        ("sha256:xyz", "64 lowercase hex"),
        (".bad-tag", "not a valid image tag"),
    ],
)
def test_an_image_that_is_not_there_exits_2_before_anything_changes(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    value: str,
    message: str,
) -> None:
    assert upsert(envdir, outputs_file, "--image", value) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if "not in the repository" in message:
        assert "orchestrator image push --env dev" in err
    assert moto["sagemaker"].list_pipelines()["PipelineSummaries"] == []


def test_run_refuses_an_unpushed_commit_before_starting_anything(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    moto["ecr"].batch_delete_image(repositoryName=PREFIX, imageIds=[{"imageTag": source_tag()}])
    code = cli(envdir, "run", "--stack-outputs", str(outputs_file), *FAST)
    assert code == 2
    assert f"{REPOSITORY}:{source_tag()} is not in the repository" in capsys.readouterr().err
    assert moto["sagemaker"].list_pipelines()["PipelineSummaries"] == []


def test_deploy_refuses_a_package_whose_image_is_gone(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    register(moto["sagemaker"], 1)
    moto["ecr"].batch_delete_image(repositoryName=PREFIX, imageIds=[{"imageTag": "1.0"}])
    code = cli(envdir, "deploy", "--stack-outputs", str(outputs_file), *FAST)
    assert code == 2
    assert "is no longer in the repository" in capsys.readouterr().err
    assert moto["sagemaker"].list_endpoints()["Endpoints"] == []


def test_deploy_protects_the_image_it_serves(
    moto: dict[str, Any],  # noqa: F811
    envdir: Path,  # noqa: F811
    outputs_file: Path,  # noqa: F811
) -> None:
    register(moto["sagemaker"], 1)
    assert cli(envdir, "deploy", "--stack-outputs", str(outputs_file), *FAST) == 0
    found = moto["ecr"].describe_images(repositoryName=PREFIX, imageIds=[{"imageTag": "1.0"}])
    digest = found["imageDetails"][0]["imageDigest"]
    assert protection_tag(digest) in tags_of(moto["ecr"], PREFIX, digest)


def test_staging_and_prod_refuse_an_uncommitted_build() -> None:
    for environment in ("staging", "prod"):
        source = AwsImageSource(lambda _repository: None, REPOSITORY, environment)  # type: ignore[arg-type,return-value]
        with pytest.raises(UserError, match="uncommitted changes"):
            source.for_pipeline("0123abcd0123-dirty")


def test_an_environment_file_with_image_tag_names_the_change(
    envdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = envdir / "dev.yaml"
    data = yaml.safe_load(path.read_text())
    data["pipeline"]["image_tag"] = "latest"
    path.write_text(yaml.safe_dump(data))
    assert cli(envdir, "render") == 2
    assert "pipeline.image_tag is gone" in capsys.readouterr().err


def test_local_refuses_the_image_flag_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestrator.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["run", "--env", "local", "--image", "0123abcd0123"]) == 2
    err = capsys.readouterr().err
    assert "--image '0123abcd0123' cannot be honoured by the local backend" in err
    assert not (tmp_path / ".mlops").exists() or not any((tmp_path / ".mlops").rglob("*.csv"))
