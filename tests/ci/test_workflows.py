"""The CI workflows (issue #17): actionlint finds nothing, and the structure the platform
relies on holds: OIDC only (id-token, no stored keys), minimal permissions per job, pinned
actions, deployments in their environments, and run steps that call only make and orchestrator.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from workflow_model import (
    CONFIGURE_AWS,
    WORKFLOWS_DIR,
    assumes_role,
    parse_line,
    run_lines,
    steps,
    workflows,
)

WORKFLOWS = workflows()
JOBS = [
    (name, job_id, job) for name, data in WORKFLOWS.items() for job_id, job in data["jobs"].items()
]
JOB_IDS = [f"{name}:{job_id}" for name, job_id, _ in JOBS]


def actionlint() -> str:
    """The actionlint that `make dev` installs into the venv (see pyproject's test extra)."""
    beside_python = Path(sys.executable).parent / "actionlint"
    found = str(beside_python) if beside_python.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: run `make dev` (pyproject's test extra installs it)"
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", "-oneline", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_two_workflows_exist() -> None:
    assert set(WORKFLOWS) == {"pull-request.yml", "main.yml"}


def test_actionlint_finds_nothing() -> None:
    result = lint(*sorted(WORKFLOWS_DIR.glob("*.yml")))
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_actionlint_fires_on_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    permissions:\n"
        "      id-token: writ\n"
        "    steps:\n"
        "      - run: orchestrator run --env ${{ github.nope }}\n"
    )
    result = lint(broken)
    assert result.returncode != 0
    assert "id-token" in result.stdout and "nope" in result.stdout, result.stdout


def test_workflows_default_to_no_permissions() -> None:
    for name, data in WORKFLOWS.items():
        assert data.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"


@pytest.mark.parametrize(("name", "job_id", "job"), JOBS, ids=JOB_IDS)
def test_each_job_asks_for_what_it_uses(name: str, job_id: str, job: dict[str, Any]) -> None:
    permissions = job.get("permissions")
    assert isinstance(permissions, dict), f"{name}:{job_id} must list its permissions"
    if assumes_role(job):
        assert permissions.get("id-token") == "write", f"{name}:{job_id} assumes a role"
        assert permissions.get("contents") == "read"
        assert set(permissions) == {"id-token", "contents"}, f"{name}:{job_id}: {permissions}"
    else:
        assert "id-token" not in permissions, f"{name}:{job_id} assumes no role"
    assert all(value in ("read", "write", "none") for value in permissions.values())
    assert "timeout-minutes" in job, f"{name}:{job_id} has no timeout"


@pytest.mark.parametrize(("name", "job_id", "job"), JOBS, ids=JOB_IDS)
def test_roles_come_from_oidc_never_stored_keys(
    name: str, job_id: str, job: dict[str, Any]
) -> None:
    for step in steps(job):
        if str(step.get("uses", "")).startswith(f"{CONFIGURE_AWS}@"):
            inputs = step["with"]
            assert re.fullmatch(r"\$\{\{ vars\.AWS_[A-Z_]*ROLE_ARN \}\}", inputs["role-to-assume"])
            assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(
                inputs
            )


def test_no_workflow_reads_a_secret() -> None:
    for path in WORKFLOWS_DIR.glob("*.yml"):
        text = path.read_text()
        assert "secrets." not in text and "AWS_ACCESS_KEY" not in text, path.name


def test_every_action_is_pinned_by_commit() -> None:
    for name, job_id, job in JOBS:
        for step in steps(job):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), (
                    f"{name}:{job_id}: {step['uses']} is not pinned to a full commit SHA"
                )


def test_deployments_run_in_their_environments_one_at_a_time() -> None:
    jobs = WORKFLOWS["main.yml"]["jobs"]
    assert {job_id: job.get("environment") for job_id, job in jobs.items()} == {
        "dev": "dev",
        "staging": "staging",
        "prod": "prod",
    }
    # dev, then staging, then prod: each promotes what the one before tested
    assert (jobs["staging"]["needs"], jobs["prod"]["needs"]) == ("dev", "staging")
    for job_id, job in jobs.items():
        assert job["concurrency"] == {"group": f"deploy-{job_id}", "cancel-in-progress": False}
    assert WORKFLOWS["main.yml"]["on"] == {"push": {"branches": ["main"]}}


def test_the_pull_request_plan_assumes_the_plan_role_without_an_environment() -> None:
    """With `environment:` the token's subject would be the environment's, which the plan role
    (trusting only repo:<owner>/<repo>:pull_request) refuses, and a deploy role would accept."""
    jobs = WORKFLOWS["pull-request.yml"]["jobs"]
    roles = {job_id: job for job_id, job in jobs.items() if assumes_role(job)}
    assert list(roles) == ["plan-dev"]
    assert "environment" not in roles["plan-dev"]
    configure = next(
        s for s in steps(roles["plan-dev"]) if "with" in s and "role-to-assume" in s["with"]
    )
    assert configure["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert WORKFLOWS["pull-request.yml"]["on"] == {"pull_request": {"branches": ["main"]}}


@pytest.mark.parametrize(("name", "job_id", "job"), JOBS, ids=JOB_IDS)
def test_run_steps_call_only_make_and_orchestrator(
    name: str, job_id: str, job: dict[str, Any]
) -> None:
    for line in run_lines(job):
        parse_line(name, job_id, line)  # raises on anything else


@pytest.mark.parametrize(
    "line",
    [
        "aws s3 cp plan s3://bucket/",
        "orchestrator run --env dev && curl https://example.com",
        "orchestrator run --env $(cat env)",
        "make install > log; rm -rf /",
        'echo "$AWS_SECRET_ACCESS_KEY"',
    ],
)
def test_the_run_step_rule_refuses_other_commands(line: str) -> None:
    with pytest.raises(ValueError):
        parse_line("x.yml", "job", line)
