"""The main workflow's orchestrator commands, read from .github/workflows/main.yml and run in
order (issue #17), against moto in two accounts (dev in one, staging and prod sharing another)
and a real registry on 127.0.0.1 per account: dev trains and deploys, staging promotes dev's
model and deploys it, prod promotes staging's and leaves it for a person to approve.

Each job runs with its own account's credentials, as its OIDC role would. A few commands cannot
run here and are replaced by named stand-ins, each exercised for real elsewhere:

- ``infra apply``/``infra output``: the endpoint's alarms the monitoring module creates and the
  stack outputs file (Terraform runs against the offline provider in tests/terraform);
- ``image build``/``image push``: a made-up image pushed under this commit's tag (podman builds
  and pushes in tests/orchestrator/test_cli_image_push.py);
- the pipeline's Register step after ``run``: moto runs no job, so the package the step would
  register is registered (tests/e2e runs the real pipeline locally);
- ``endpoint-test``: moto hosts no model (tests/e2e/test_endpoint_test.py tests a real endpoint).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ecr_images import blobs_for, manifest_for
from local_registry import running_registry, upload_image
from moto import mock_aws
from moto_extensions import sagemaker_patched
from test_promote import (
    DEV_ACCOUNT,
    READER,
    STAGING_ACCOUNT,
    World,
    credentials,  # noqa: F401  (fixture)
    login_of,
    prefix,
    session_of,
)

from orchestrator.cli import main
from orchestrator.images.source import source_tag

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ci"))
from workflow_model import Command, commands, workflows

pytestmark = pytest.mark.xdist_group("container-image")
FAST = ["--poll-interval", "0.01", "--timeout", "30"]
STANDS_IN = {"infra apply", "infra output", "image build", "image push", "endpoint-test"}
STAGING_READER = f"arn:aws:iam::{STAGING_ACCOUNT}:role/mlops-demo-staging-promotion-reader"


@pytest.fixture
def world(credentials: None, tmp_path: Path) -> Iterator[World]:  # noqa: F811
    with mock_aws(), sagemaker_patched():
        logins = {
            "dev": login_of(session_of(DEV_ACCOUNT)),
            "staging": login_of(session_of(STAGING_ACCOUNT)),
        }
        with (
            running_registry(tmp_path / "r-dev", *logins["dev"]) as dev,
            running_registry(tmp_path / "r-staging", *logins["staging"]) as staging,
        ):
            yield World(tmp_path, {"dev": dev, "staging": staging})


def job_credentials(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    """The job's role: credentials of its environment's account (moto's default account is
    the fixture's own "testing" keys; another account's come from STS)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    if account == STAGING_ACCOUNT:
        return
    found = session_of(account).get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", found.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", found.secret_key)
    if found.token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", found.token)
    else:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


class Replay:
    """Runs one job's commands; what each did, by its label."""

    def __init__(self, world: World, job: str) -> None:
        self.world, self.job = world, job
        self.done: list[tuple[str, str]] = []

    def word(self, command: Command) -> str:
        return (
            " ".join(command.argv[:2]) if command.argv[0] in ("infra", "image") else command.argv[0]
        )

    def run(self, command: Command, reader: str) -> None:
        word = self.word(command)
        if word in STANDS_IN:
            self.stand_in(word, command)
            self.done.append((word, "stand-in"))
            return
        argv = [reader if a == "$SOURCE_READER_ROLE" else a for a in command.argv]
        argv += ["--environments-dir", str(self.world.envdir)]
        if word in ("run", "deploy"):
            argv += FAST
        code = main(argv)
        assert code == 0, f"{command.label}: exit {code}"
        if word == "run":  # the pipeline's Register step, which moto does not run
            self.world.dev_package(tag=source_tag())
        self.done.append((word, "ran"))

    def stand_in(self, word: str, command: Command) -> None:
        if word == "infra apply":  # what the monitoring module creates: the rollback alarms
            cloudwatch = session_of(self.world.accounts[self.job]).client("cloudwatch")
            for suffix in ("5xx-rate", "model-latency-p99"):
                cloudwatch.put_metric_alarm(
                    AlarmName=f"{prefix(self.job)}-endpoint-{suffix}",
                    Namespace="AWS/SageMaker",
                    MetricName="Invocation5XXErrors",
                    Statistic="Sum",
                    Period=300,
                    EvaluationPeriods=3,
                    Threshold=1.0,
                    ComparisonOperator="GreaterThanThreshold",
                )
        if word == "infra output" and command.redirect:
            target = self.world.tmp / command.redirect
            target.write_text(self.world.files[self.job].read_text())
        if word == "image push":
            text, _, _ = manifest_for("dev-image")
            registry = self.world.registries["dev"]
            upload_image(registry, prefix("dev"), source_tag(), text, blobs_for("dev-image"))


def test_the_main_workflow_runs_dev_then_promotes_to_staging_and_prod(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(world.tmp)  # the workflow's relative outputs files live here
    for name in ("dev", "staging", "prod"):
        assert main(["render", "--env", name, "--environments-dir", str(world.envdir)]) == 0
    jobs = [c for c in commands("main.yml", workflows()["main.yml"]) if c.program == "orchestrator"]
    readers = {"dev": "", "staging": READER, "prod": STAGING_READER}
    done: dict[str, list[tuple[str, str]]] = {}
    for job in ("dev", "staging", "prod"):
        job_credentials(monkeypatch, world.accounts[job])
        replay = Replay(world, job)
        for command in (c for c in jobs if c.job == job):
            replay.run(command, readers[job])
        done[job] = replay.done
    capsys.readouterr()

    ran = {job: [word for word, how in steps if how == "ran"] for job, steps in done.items()}
    assert ran == {
        "dev": ["render", "run", "deploy"],
        "staging": ["render", "promote", "deploy"],
        "prod": ["render", "promote"],
    }
    (dev,) = world.packages("dev")
    (staged,) = world.packages("staging")
    (prod,) = world.packages("prod")
    assert staged["CustomerMetadataProperties"]["promoted_from"] == dev["ModelPackageArn"]
    assert prod["CustomerMetadataProperties"]["promoted_from"] == staged["ModelPackageArn"]
    assert prod["ModelApprovalStatus"] == "PendingManualApproval"
    for name, package in (("dev", dev), ("staging", staged)):
        sm = session_of(world.accounts[name]).client("sagemaker")
        endpoint = sm.describe_endpoint(EndpointName=f"{prefix(name)}-endpoint")
        config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
        container = model.get("PrimaryContainer") or model["Containers"][0]
        assert container["ModelPackageName"] == package["ModelPackageArn"], name
    assert {word for steps in done.values() for word, how in steps if how != "ran"} == STANDS_IN
