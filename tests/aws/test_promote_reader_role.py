"""The source stack's promotion reader role (terraform/modules/iam/promotion.tf) allows every
call ``promote`` makes with the source credentials, measured: the calls made during a real
promote (moto in two accounts) with the assumed role's keys, mapped to IAM actions as the
preflight's coverage rule maps the orchestrator's calls, plus the image pull through the
distribution API (ECR user guide, "Private repository policies": BatchGetImage and
GetDownloadUrlForLayer to pull, BatchCheckLayerAvailability to check a layer). Every action the
file names exists in parliament's copy of the IAM reference, as the preflight checks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from test_promote import (
    READER,
    World,
    credentials,  # noqa: F401  (fixture)
    two_accounts,
)

from orchestrator.preflight.iam_reference import expand
from orchestrator.preflight.rules.coverage import actions_for_call

pytestmark = pytest.mark.xdist_group("container-image")
PROMOTION_TF = (
    Path(__file__).resolve().parents[2] / "terraform" / "modules" / "iam" / "promotion.tf"
)
IMAGE_PULL = {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}


@pytest.fixture(name="world")
def promote_world(credentials: None, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    with two_accounts(tmp_path) as found:
        yield found


def reader_actions() -> set[str]:
    """Every action the reader role's policy allows (its Action lists, read from the file)."""
    text = PROMOTION_TF.read_text()
    policy = text[text.index('resource "aws_iam_role_policy" "promotion_reader"') :]
    return {
        action
        for listed in re.findall(r"Action\s*=\s*\[([^\]]*)\]", policy)
        for action in re.findall(r'"([a-z0-9-]+:[A-Za-z*]+)"', listed)
    }


def test_every_action_promotion_tf_names_is_in_the_iam_reference() -> None:
    named = set(re.findall(r'"([a-z0-9-]+:[A-Z][A-Za-z*]+)"', PROMOTION_TF.read_text()))
    assert named and {action for action in named if not expand(action)} == set()


def test_the_reader_role_allows_every_call_promote_makes_with_the_source_credentials(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.dev_package()
    source_calls: set[str] = set()
    ambient = boto3.Session().get_credentials().access_key  # the target's (staging's)
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: Any) -> Any:
        found = self._request_signer._credentials  # type: ignore[attr-defined]
        if found is not None and found.access_key != ambient:
            source_calls.add(f"{self.meta.service_model.service_name}:{operation}")
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    assert world.promote("--from-role-arn", READER) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "created"
    needed = {action for call in source_calls for action in actions_for_call(call)} | IMAGE_PULL
    assert "sagemaker:DescribeModelPackage" in needed and "s3:GetObject" in needed
    assert needed - reader_actions() == set(), sorted(source_calls)
