"""Runs the `terraform` shim for the tests and finds an AWS provider that works offline.

Why a harness: every Terraform test needs the same three things (the shim on PATH, a CLI config
that serves `hashicorp/aws`, one `init` per working directory), and when no provider can be had
the tests must be *skipped with the reason*, never reported as passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
MODULES_DIR = TERRAFORM_DIR / "modules"
EXAMPLES_DIR = TERRAFORM_DIR / "examples"
FIXTURES_DIR = TERRAFORM_DIR / "tests" / "fixtures"
TERRAFORM_SHIM = REPO_ROOT / "tools" / "bin" / "terraform"
# CI clones the repo next to a copy of shared/: <repo>/../shared.
STANDIN_SETUP = REPO_ROOT.parent / "shared" / "terraform" / "aws-provider-standin" / "setup.sh"
ENVIRONMENTS = ("dev", "staging", "prod")
MODULE_NAMES = (
    "network",
    "kms",
    "storage",
    "iam",
    "monitoring",
    "registry",
    "replication",
    "backup",
)
# Modules with configuration_aliases: `terraform validate` cannot check them on their own
# (Terraform asks for the aliased provider), only through a caller, examples/<name>.
ALIASED_MODULE_NAMES = ("replication",)
EXAMPLE_NAMES = tuple(sorted(path.name for path in EXAMPLES_DIR.iterdir() if path.is_dir()))


@dataclass(frozen=True)
class Completed:
    """Exit code and combined output of one terraform command."""

    returncode: int
    output: str


InitFunction = Callable[[Path], Completed]


@dataclass(frozen=True)
class ProviderSetup:
    """How Terraform gets `hashicorp/aws` here: an environment, or why it cannot."""

    env: dict[str, str] | None
    skip_reason: str | None
    source: str


def base_env() -> dict[str, str]:
    """The process environment with the shim first on PATH and no interactive prompts."""
    env = dict(os.environ)
    env["PATH"] = f"{TERRAFORM_SHIM.parent}{os.pathsep}{env.get('PATH', '')}"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


def run_terraform(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> Completed:
    """Run `terraform <args>` in `cwd` and return its exit code and output (never raises)."""
    completed = subprocess.run(
        [str(TERRAFORM_SHIM), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Completed(completed.returncode, completed.stdout + completed.stderr)


def _standin_env(env: dict[str, str]) -> ProviderSetup:
    """Configure the offline stand-in provider from ../shared (its setup prints one export)."""
    completed = subprocess.run(
        ["bash", str(STANDIN_SETUP)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    line = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    prefix = "export TF_CLI_CONFIG_FILE="
    if completed.returncode != 0 or not line.startswith(prefix):
        return ProviderSetup(
            None,
            f"{STANDIN_SETUP} failed (exit {completed.returncode}): {completed.stderr[-800:]}",
            "standin",
        )
    configured = dict(env)
    configured["TF_CLI_CONFIG_FILE"] = line[len(prefix) :].strip().strip("'\"")
    return ProviderSetup(configured, None, "standin")


def _real_provider_env(env: dict[str, str]) -> ProviderSetup:
    """Without ../shared, use the real provider if `init` can download it; otherwise skip."""
    configured = dict(env)
    configured.pop("TF_CLI_CONFIG_FILE", None)
    with tempfile.TemporaryDirectory(prefix="tf-provider-probe-") as probe:
        Path(probe, "versions.tf").write_text(
            'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            '      version = ">= 6.0, < 7.0"\n    }\n  }\n}\n'
        )
        result = run_terraform(
            ["init", "-backend=false", "-input=false", "-no-color"], Path(probe), configured
        )
    if result.returncode != 0:
        errors = [line.strip("│ ") for line in result.output.splitlines() if "Error" in line]
        return ProviderSetup(
            None,
            f"no AWS provider: {STANDIN_SETUP} is absent and `terraform init` could not install "
            f"hashicorp/aws ({'; '.join(errors[:2]) or 'init failed'})",
            "registry",
        )
    return ProviderSetup(configured, None, "registry")


def provider_setup() -> ProviderSetup:
    """Pick the stand-in when ../shared exists, else the real provider, else a skip reason."""
    env = base_env()
    if STANDIN_SETUP.is_file():
        return _standin_env(env)
    return _real_provider_env(env)


def copy_tree(source: Path, destination: Path) -> Path:
    """Copy a Terraform directory without its .terraform cache, lock file or local state."""
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
    )
    return destination
