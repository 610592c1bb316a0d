"""The CI roles module (modules/ci_oidc, issue #17): validate, `terraform test`, a broken copy
that the tests must catch, and the role names lining up with the environment files.

terraform_harness.MODULE_NAMES lists the stack's six modules; this standalone module is not
one of them, so its validate and test runs are here (its example is validated with the others,
examples/ being discovered).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from terraform_harness import MODULES_DIR, REPO_ROOT, InitFunction, copy_tree, run_terraform

MODULE = MODULES_DIR / "ci_oidc"
ENVIRONMENTS_DIR = REPO_ROOT / "environments"


@pytest.mark.xdist_group("terraform")
def test_ci_oidc_validates_and_passes_its_terraform_tests(
    terraform_init: InitFunction, tf_env: dict[str, str]
) -> None:
    terraform_init(MODULE)
    validate = run_terraform(["validate", "-no-color"], MODULE, tf_env)
    assert validate.returncode == 0, validate.output
    result = run_terraform(["test", "-no-color"], MODULE, tf_env)
    assert result.returncode == 0, result.output
    assert " 0 failed" in result.output and "Success!" in result.output, result.output


def test_a_pattern_trust_policy_fails_the_module_tests(
    tmp_path: Path, tf_env: dict[str, str]
) -> None:
    """StringLike would turn the subjects into patterns; the module's tests must refuse it."""
    copy = copy_tree(MODULE, tmp_path / "ci_oidc")
    main = copy / "main.tf"
    text = main.read_text()
    assert "StringEquals = {" in text, "update this test: the trust condition moved"
    main.write_text(text.replace("StringEquals = {", "StringLike = {", 1))
    assert run_terraform(["init", "-backend=false", "-input=false"], copy, tf_env).returncode == 0
    result = run_terraform(["test", "-no-color"], copy, tf_env)
    assert result.returncode != 0
    assert "only with aud = sts.amazonaws.com and exact (StringEquals)" in result.output


def _default_prefix() -> str:
    variables = (MODULE / "variables.tf").read_text()
    block = variables[variables.index('variable "role_name_prefix"') :]
    match = re.search(r'default\s*=\s*"([^"]+)"', block)
    assert match, "role_name_prefix has no default"
    return match.group(1)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_ci_role_names_line_up_with_the_environment_files(environment: str) -> None:
    """The stack attaches its orchestrator policies to orchestrator_role_names and grants key
    use to orchestrator_principal_arns: both must name the role this module creates for the
    environment (<role_name_prefix>-<env>), or CI would assume a role with no rights."""
    settings = yaml.safe_load((ENVIRONMENTS_DIR / f"{environment}.yaml").read_text())
    access = settings["terraform"]["access"]
    role_name = f"{_default_prefix()}-{environment}"
    assert role_name in access["orchestrator_role_names"]
    role_arns = [
        arn for arn in access["orchestrator_principal_arns"] if arn.endswith(f"/{role_name}")
    ]
    assert role_arns == [f"arn:aws:iam::{settings['account_id']}:role/{role_name}"]
