"""Session fixtures for the Terraform tests: the provider, and one `init` per directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_harness import (
    Completed,
    InitFunction,
    ProviderSetup,
    provider_setup,
    run_terraform,
)


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
