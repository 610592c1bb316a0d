"""Credentials and tokens never appear in logs or error messages (issue 7).

The CLI runs as a user runs it, with AWS credentials, a session token and GitHub tokens set to
unique sentinel values in its environment; everything it prints and every file it leaves behind
(execution logs, job logs, serve logs, registry, artifacts) is scanned for those values:

* ``orchestrator run --env local`` (the lean two-trial environment of the end-to-end tests):
  the whole pipeline, registration, a local endpoint and a batch transform, each in
  subprocesses that inherit the environment;
* an AWS command against a moto server on 127.0.0.1 that authenticates requests and so refuses
  the sentinel credentials: the failure path, where a careless error message would quote them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from e2e_support import RUN_TIMEOUT_SECONDS, lean_environments
from serve_helpers import free_port

from orchestrator.settings.stack_outputs import StackOutputs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability-secrets")]

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "eu-west-1"


def sentinels() -> dict[str, str]:
    """Unique values shaped like the real thing (so a redactor keyed on shape would work too)."""
    tag = uuid.uuid4().hex.upper()
    return {
        "AWS_ACCESS_KEY_ID": f"AKIA{tag[:16]}",
        "AWS_SECRET_ACCESS_KEY": f"sEcReT{tag}{tag[:2]}",
        "AWS_SESSION_TOKEN": f"IQoJb3JpZ2luX2VjE{tag}{tag}TOKEN",
        "GITHUB_TOKEN": f"ghp_{tag}{tag[:4]}",
        "GH_TOKEN": f"github_pat_{tag}_{tag}",
    }


def leaks(secrets: dict[str, str], texts: dict[str, bytes]) -> list[str]:
    """``variable in place`` for every secret value found in any of the texts."""
    return [
        f"{name} in {place}"
        for place, text in texts.items()
        for name, value in secrets.items()
        if value.encode() in text
    ]


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def clean_environment(secrets: dict[str, str]) -> dict[str, str]:
    """This environment without any real AWS settings, plus the sentinels."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_", "GH_"))}
    env.update(
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
        AWS_EC2_METADATA_DISABLED="true",
        **secrets,
    )
    return env


def test_the_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    """The scan itself works (so the tests below can fail)."""
    secrets = sentinels()
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "job.log").write_text(f"token={secrets['GITHUB_TOKEN']}\n")
    assert leaks(secrets, files_under(tmp_path)) == [f"GITHUB_TOKEN in {tmp_path}/logs/job.log"]


def test_a_local_run_logs_no_credential(tmp_path: Path) -> None:
    secrets = sentinels()
    environments = lean_environments(tmp_path)
    argv = ["run", "--env", "local", "--output", "json", "--environments-dir", str(environments)]
    done = subprocess.run(
        [str(BIN / "orchestrator"), *argv],
        cwd=tmp_path,
        env=clean_environment(secrets),
        capture_output=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    summary = json.loads(done.stdout)
    assert summary["execution"]["status"] == "Succeeded" and summary["endpoint"]["status"] == "ok"
    written = files_under(tmp_path / "state")
    logs = [path for path in written if path.endswith((".log", ".out", ".err", ".jsonl"))]
    assert logs, "the run wrote no log files: nothing was scanned"
    texts = {"stdout": done.stdout, "stderr": done.stderr, **written}
    assert leaks(secrets, texts) == []
    print(f"secrets: local run, {len(written)} files ({len(logs)} logs) scanned, no leak")


@pytest.fixture
def moto_server(tmp_path: Path) -> Iterator[str]:
    """moto's server on loopback, authenticating every request (INITIAL_NO_AUTH_ACTION_COUNT=0),
    so credentials it does not know are refused as SageMaker refuses them."""
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1.0, trust_env=False)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((tmp_path / "moto.log").read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def aws_environment_folder(tmp_path: Path) -> tuple[Path, Path]:
    """environments/dev.yaml as shipped, in moto's account; and a stack-outputs file."""
    data = yaml.safe_load((REPO / "environments" / "dev.yaml").read_text())
    data.update(region=REGION, account_id=ACCOUNT)
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "dev.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    project = data["project"]
    prefix = f"{project}-dev"
    role = f"arn:aws:iam::{ACCOUNT}:role/{prefix}"
    outputs = StackOutputs(
        region=REGION,
        account_id=ACCOUNT,
        environment="dev",
        project=project,
        data_bucket=f"{prefix}-data",
        artifacts_bucket=f"{prefix}-artifacts",
        data_kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1",
        artifacts_kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/2",
        sagemaker_execution_role_arn=f"{role}-execution",
        pipeline_role_arn=f"{role}-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/{prefix}-orchestrator",
        model_package_group_name=f"{prefix}-models",
        pipeline_name=f"{prefix}-pipeline",
        endpoint_name=f"{prefix}-endpoint",
    )
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs.to_terraform_json()))
    return folder, outputs_file


@pytest.mark.skipif(shutil.which("moto_server", path=str(BIN)) is None, reason="moto[server]")
@pytest.mark.parametrize(
    "command",
    [["models", "list"], ["pipeline", "start"], ["deploy", "--timeout", "20"]],
    ids=["models-list", "pipeline-start", "deploy"],
)
def test_refused_aws_credentials_are_not_quoted(
    tmp_path: Path, moto_server: str, command: list[str]
) -> None:
    secrets = sentinels()
    environments, outputs_file = aws_environment_folder(tmp_path)
    env = {**clean_environment(secrets), "AWS_ENDPOINT_URL": moto_server}
    where = ["--environments-dir", str(environments), "--stack-outputs", str(outputs_file)]
    done = subprocess.run(
        [str(BIN / "orchestrator"), *command, "--env", "dev", *where],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    stderr = done.stderr.decode()
    assert done.returncode != 0, "moto accepted credentials it does not know"
    assert "Traceback" not in stderr, stderr[-3000:]
    # Refused by AWS (moto) for these credentials, not earlier for another reason. (moto's
    # server answers a JSON-protocol service's auth failure in XML, so botocore cannot read the
    # error code and the CLI shows the raw 403 rather than its credentials advice.)
    assert "InvalidClientTokenId" in stderr or "credentials" in stderr, stderr[-2000:]
    assert b" 403 " in (tmp_path / "moto.log").read_bytes()
    texts = {"stdout": done.stdout, "stderr": done.stderr, **files_under(tmp_path)}
    texts.pop(str(tmp_path / "moto.log"), None)  # the server's own log (the fake AWS side)
    assert leaks(secrets, texts) == []
    print(f"secrets: {command[0]} exit {done.returncode}: {stderr.strip()[:200]}")
