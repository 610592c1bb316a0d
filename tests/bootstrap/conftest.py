"""Fixtures of the bootstrap tests: moto in-process, the shipped dev environment moved into
moto's account, a temporary copy of terraform/backends (never the repository's files), and a
count of the mutating calls bootstrap sends (botocore's before-call event on its session)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from bootstrap_support import REPO, CallLog, write_environment
from moto import mock_aws

from orchestrator.bootstrap import run


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no profile or config files, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto(credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def envdir(tmp_path: Path) -> Path:
    folder = write_environment(tmp_path / "environments")
    shutil.copy(REPO / "environments" / "local.yaml", folder / "local.yaml")
    return folder


@pytest.fixture
def tfdir(tmp_path: Path) -> Path:
    """A copy of terraform/backends (the CHANGE-ME placeholders) to write into."""
    folder = tmp_path / "terraform"
    shutil.copytree(REPO / "terraform" / "backends", folder / "backends")
    return folder


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> CallLog:
    log = CallLog()
    real: Callable[..., boto3.Session] = run.open_session

    def counted(profile: str | None = None) -> boto3.Session:
        session = real(profile)
        session.events.register("before-call", log.record)
        return session

    monkeypatch.setattr(run, "open_session", counted)
    return log
