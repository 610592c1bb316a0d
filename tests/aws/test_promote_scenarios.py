"""``orchestrator promote`` beyond the first copy (issue #17), in the two-account world of
test_promote.py: a dry run, a rerun after a failure halfway, nothing written by a second
promote (neither AWS nor the target registry), the lineage of a package promoted twice, the
source read with a named profile and the profile refusals, and the promoted package deployed
and endpoint-tested in staging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from ecr_images import manifest_for
from moto_extensions import sagemaker_patched
from promote_kit import calls_made, registry_files, writes
from test_promote import (
    DEV_ACCOUNT,
    READER,
    STAGING_ACCOUNT,
    World,
    credentials,  # noqa: F401  (fixture)
    prefix,
    session_of,
    two_accounts,
)

from orchestrator.backends.aws.artifacts import S3ArtifactStore
from orchestrator.cli import main
from orchestrator.errors import OperationFailed

pytestmark = pytest.mark.xdist_group("container-image")


@pytest.fixture(name="world")
def promote_world(credentials: None, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    with two_accounts(tmp_path) as found:
        yield found


def output(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return dict(json.loads(capsys.readouterr().out))


def test_a_dry_run_names_the_copies_and_the_status_and_writes_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    source = world.dev_package()
    before = registry_files(world, "staging")
    with calls_made() as calls:
        assert world.promote("--from-role-arn", READER, "--dry-run") == 0
    plan = output(capsys)
    assert (plan["action"], plan["source"], plan["approval_status"]) == (
        "would-create", source, "Approved",
    )  # fmt: skip
    _, digest, _ = manifest_for("dev-image")
    assert plan["image"].endswith(f"/{prefix('staging')}@{digest}") and not plan["image_in_target"]
    copies = plan["copies"]
    assert set(copies.values()) == {
        f"s3://{prefix('staging')}-artifacts-{STAGING_ACCOUNT}/promoted/{DEV_ACCOUNT}/"
        f"{prefix('dev')}-models-breast-cancer/v1/{name}/"
        for name in ("model", "test_data", "schema_uri", "evaluation")
    }
    assert writes(calls) == [] and registry_files(world, "staging") == before
    assert world.packages("staging") == []


def test_a_second_promote_writes_nothing_to_aws_or_the_target_registry(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package()
    assert world.promote("--from-role-arn", READER) == 0
    first = output(capsys)
    assert first["image_copy"]["blobs_uploaded"] == 2  # config and layer
    before = registry_files(world, "staging")
    with calls_made() as calls:
        assert world.promote("--from-role-arn", READER) == 0
    again = output(capsys)
    assert (again["action"], again["target"]) == ("unchanged", first["target"])
    assert writes(calls) == [] and registry_files(world, "staging") == before
    assert len(world.packages("staging")) == 1


def test_a_failed_copy_registers_nothing_and_the_rerun_reuses_the_copied_image(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world.dev_package()
    original = S3ArtifactStore.publish

    def failing(self: S3ArtifactStore, source: Path, uri: str) -> str:
        if "/promoted/" in uri and "/evaluation/" in uri:  # the last of the copies
            raise OperationFailed("S3 went away")
        return original(self, source, uri)

    monkeypatch.setattr(S3ArtifactStore, "publish", failing)
    assert world.promote("--from-role-arn", READER) == 1
    assert "S3 went away" in capsys.readouterr().err
    assert world.packages("staging") == []  # the image and three objects copied, no package
    monkeypatch.setattr(S3ArtifactStore, "publish", original)
    assert world.promote("--from-role-arn", READER) == 0
    result = output(capsys)
    assert result["action"] == "created"
    assert result["image_copy"] == {
        "manifests_copied": 0, "manifests_present": 1, "blobs_uploaded": 0,
        "blobs_present": 0, "bytes_uploaded": 0,
    }  # fmt: skip
    assert len(world.packages("staging")) == 1


def test_prod_lineage_names_the_dev_origin_the_metrics_and_a_slashless_test_data_copy(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Register step records test_data as the Preprocess output URI, without a final
    slash; the copy keeps that shape, and endpoint-test's reading of it works on the copy."""
    source = world.dev_package(test_data_slash=False)
    assert world.promote("--from-role-arn", READER) == 0
    staged = output(capsys)["target"]
    assert world.promote(to="prod", source="staging") == 0  # one account: no source credentials
    assert output(capsys)["approval_status"] == "PendingManualApproval"
    (package,) = world.packages("prod")
    lineage = package["CustomerMetadataProperties"]
    assert (lineage["promoted_from"], lineage["origin_package"]) == (staged, source)
    assert lineage["source_account"] == STAGING_ACCOUNT
    assert lineage["source_environment"] == "staging"
    assert (lineage["code_version"], lineage["input_data_version"]) == ("abc123", "v-42")
    assert float(lineage["metric:auc"]) == 0.99
    artifacts = f"{prefix('prod')}-artifacts-{STAGING_ACCOUNT}"
    assert lineage["test_data"].startswith(f"s3://{artifacts}/promoted/{STAGING_ACCOUNT}/")
    assert lineage["test_data"].endswith("/test_data")
    key = lineage["test_data"].split("/", 3)[3] + "/labels.csv"
    assert boto3.client("s3").get_object(Bucket=artifacts, Key=key)["Body"].read() == b"benign\n"


def profiles(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A credentials file with a profile of the dev account and one of the staging account."""
    found = session_of(DEV_ACCOUNT).get_credentials()
    text = (
        f"[dev-reader]\naws_access_key_id = {found.access_key}\n"
        f"aws_secret_access_key = {found.secret_key}\naws_session_token = {found.token}\n"
        "[staging-user]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    path = world.tmp / "aws-credentials"
    path.write_text(text)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))


def test_the_source_is_read_with_a_named_profile(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = world.dev_package()
    profiles(world, monkeypatch)
    assert world.promote("--from-profile", "dev-reader") == 0
    result = output(capsys)
    assert (result["action"], result["source"]) == ("created", source)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--from-profile", "staging-user"), f"environment dev is account {DEV_ACCOUNT}"),
        (("--from-profile", "nobody"), "is not a profile of this machine"),
        (("--from-profile", "dev-reader", "--from-role-arn", READER), "pass one"),
    ],
)
def test_each_profile_refusal_exits_2_before_anything_is_written(
    world: World,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
    expected: str,
) -> None:
    world.dev_package()
    profiles(world, monkeypatch)
    before = registry_files(world, "staging")
    with calls_made() as calls:
        assert world.promote(*extra) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert writes(calls) == [] and registry_files(world, "staging") == before


def test_the_promoted_package_deploys_and_passes_endpoint_test_in_staging(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """deploy and endpoint-test as the staging job runs them, on moto's endpoint answering the
    held-out rows (copied into staging) with the labels' own classes."""
    world.dev_package(auc=1.0, held_out=(b"1,2\n3,4\n", b"benign\nmalignant\n"))
    assert world.promote("--from-role-arn", READER) == 0
    target = output(capsys)["target"]
    staging = ["--env", "staging", "--environments-dir", str(world.envdir),
               "--stack-outputs", str(world.files["staging"])]  # fmt: skip
    with sagemaker_patched():
        world.alarms("staging")
        fast = ["--poll-interval", "0.01", "--timeout", "30"]
        assert main(["deploy", *staging, *fast]) == 0
        capsys.readouterr()
        world.endpoint_answers(
            "staging", [{"benign": 0.9, "malignant": 0.1}, {"benign": 0.2, "malignant": 0.8}]
        )
        assert main(["endpoint-test", *staging, "--output", "json"]) == 0
    tested = output(capsys)
    assert tested["passed"] and tested["rows"] == 2 and tested["measured"] == 1.0
    assert tested["model"] == f"{prefix('staging')}-models-breast-cancer v1"
    sm = session_of(STAGING_ACCOUNT).client("sagemaker")
    endpoint = sm.describe_endpoint(EndpointName=f"{prefix('staging')}-endpoint")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert (model.get("PrimaryContainer") or model["Containers"][0])["ModelPackageName"] == target
