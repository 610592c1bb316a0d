"""The online rules against moto: STS, S3, ECR, and Service Quotas (moto_extensions adds
ListServiceQuotas). Each is fed the account that fails it and one that passes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from ecr_images import create_repository, put_image
from moto_extensions import ACCOUNT, sagemaker_patched, set_quota

from orchestrator.images.source import source_tag
from orchestrator.preflight.inputs import PreflightInputs, offline_outputs
from orchestrator.preflight.rules.online import _needed, state_bucket
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import EnvironmentConfig, load_environment

REGION = "eu-west-1"


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[boto3.Session]:
    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    with mock.patch.dict(os.environ, fake), mock_aws(), sagemaker_patched():
        yield boto3.Session(region_name=REGION)


def config(account: str = ACCOUNT) -> EnvironmentConfig:
    return load_environment("dev").model_copy(update={"account_id": account, "region": REGION})


def findings(session: boto3.Session, rule: str, environment: EnvironmentConfig) -> list[str]:
    inputs = PreflightInputs(environment, session=session)
    report = run_preflight(inputs, offline=False, only=frozenset({rule}))
    assert report.ran == [rule]
    return [f.problem for f in report.findings]


def test_the_rules_are_left_out_offline(aws: boto3.Session) -> None:
    report = run_preflight(PreflightInputs(config(), session=aws), offline=True)
    assert report.skipped["caller-account"] == "--offline"


def test_credentials_of_another_account_are_reported(aws: boto3.Session) -> None:
    assert findings(aws, "caller-account", config()) == []
    found = findings(aws, "caller-account", config("999999999999"))
    assert found and f"account {ACCOUNT}" in found[0]


def test_the_placeholder_state_bucket_is_reported(aws: boto3.Session) -> None:
    found = findings(aws, "state-bucket", config())  # the repository's dev file: CHANGE-ME
    assert found and "placeholder state bucket" in found[0]


def test_a_missing_state_bucket_is_reported(
    aws: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "backends").mkdir()
    (tmp_path / "versions.tf").write_text("")
    (tmp_path / "backends" / "dev.s3.tfbackend").write_text('bucket = "acme-tf-state"\n')
    monkeypatch.setenv("ORCHESTRATOR_TERRAFORM_DIR", str(tmp_path))
    bucket = state_bucket("dev")
    assert bucket == "acme-tf-state"
    assert findings(aws, "state-bucket", config())
    aws.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    assert findings(aws, "state-bucket", config()) == []


def test_an_unpushed_image_is_reported(aws: boto3.Session) -> None:
    environment = config()
    repository = str(offline_outputs(environment, None).ecr_repository_url).split("/", 1)[1]
    ecr = aws.client("ecr")
    create_repository(ecr, repository)
    found = findings(aws, "image-pushed", environment)
    assert found and "is not in the repository" in found[0]
    put_image(ecr, repository, source_tag())
    assert findings(aws, "image-pushed", environment) == []


def test_quotas_below_what_the_environment_runs_are_reported(aws: boto3.Session) -> None:
    environment = config()
    needed = _needed(PreflightInputs(environment))
    found = findings(aws, "service-quotas", environment)
    assert len(found) == len(needed) and all("not listed" in f for f in found)
    for name, count in needed.items():
        set_quota(ACCOUNT, REGION, "sagemaker", name, count)
    assert findings(aws, "service-quotas", environment) == []
    endpoint = next(n for n in needed if n.endswith("for endpoint usage"))
    set_quota(ACCOUNT, REGION, "sagemaker", endpoint, needed[endpoint] - 1)
    found = findings(aws, "service-quotas", environment)
    assert len(found) == 1 and f"needs {needed[endpoint]} at once" in found[0]


def test_a_blue_green_deploy_counts_both_fleets() -> None:
    environment = config()
    autoscaling = environment.endpoint.autoscaling
    assert autoscaling is not None
    needed = _needed(PreflightInputs(environment))
    endpoint = f"{environment.endpoint.instance_type} for endpoint usage"
    assert needed[endpoint] == 2 * max(
        autoscaling.max_capacity, environment.endpoint.initial_instance_count
    )
