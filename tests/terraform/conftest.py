"""Session fixtures for the Terraform tests: the provider, one `init` per directory, and one
plan per environment (`plans`, shared by test_terraform_plan.py and test_policy_sizes.py).

`plans`: the root module is copied to a temporary directory with a local-backend override (the
real backend is S3), planned with tests/fixtures/<env>.tfvars.json, then applied against the
provider (the offline stand-in fills computed values with placeholders) and planned again so
that every rendered policy document is present in the plan's prior state.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

import pytest
import tftest
from terraform_harness import (
    ENVIRONMENTS,
    FIXTURES_DIR,
    TERRAFORM_DIR,
    TERRAFORM_SHIM,
    Completed,
    InitFunction,
    ProviderSetup,
    copy_tree,
    provider_setup,
    run_terraform,
)

LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


@pytest.fixture(scope="session")
def provider() -> ProviderSetup:
    """How hashicorp/aws is served in this session (stand-in, registry, or a skip reason)."""
    return provider_setup()


@pytest.fixture(scope="session")
def tf_env(provider: ProviderSetup) -> dict[str, str]:
    """Environment for terraform commands that need the AWS provider; skips without one."""
    if provider.env is None:
        pytest.skip(provider.skip_reason or "no AWS provider available")
    return provider.env


@pytest.fixture(scope="session")
def terraform_init(tf_env: dict[str, str]) -> InitFunction:
    """`terraform init -backend=false` once per directory per session (init is the slow part)."""
    done: dict[Path, Completed] = {}

    def init(directory: Path) -> Completed:
        if directory not in done:
            result = run_terraform(["init", "-backend=false", "-input=false"], directory, tf_env)
            assert result.returncode == 0, f"terraform init failed in {directory}:\n{result.output}"
            done[directory] = result
        return done[directory]

    return init


def build_plans(workdir: Path, tf_env: dict[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per environment: the first plan, and the plan taken after applying it."""
    copy_tree(TERRAFORM_DIR, workdir)
    (workdir / "zz_local_backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE)
    result = run_terraform(["init", "-input=false"], workdir, tf_env)
    assert result.returncode == 0, result.output
    runner = tftest.TerraformTest(workdir, binary=str(TERRAFORM_SHIM), env=tf_env)
    plans: dict[str, dict[str, dict[str, Any]]] = {}
    for environment in ENVIRONMENTS:
        var_file = str(FIXTURES_DIR / f"{environment}.tfvars.json")
        state = str(workdir / f"{environment}.tfstate")
        first = runner.plan(output=True, tf_var_file=var_file, state=state)
        runner.apply(tf_var_file=var_file, state=state)
        second = runner.plan(output=True, tf_var_file=var_file, state=state, refresh=False)
        plans[environment] = {"planned": first._raw, "applied": second._raw}
    return plans


@pytest.fixture(scope="session")
def plans(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """The plans, built once per test run even when xdist spreads these tests over workers.

    Building takes tens of seconds; the first worker builds under a file lock in the temp
    directory all workers share, the others read its JSON.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / "terraform-plans.json"
    with (shared / "terraform-plans.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.is_file():
            return json.loads(cache.read_text())
        plans = build_plans(shared / "terraform-plan-workdir", tf_env)
        cache.write_text(json.dumps(plans))
        return plans
