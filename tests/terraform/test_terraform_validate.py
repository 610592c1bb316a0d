"""`terraform validate` on the root, every module and every example, and `terraform test`.

These share working directories inside the repo, so they run in one xdist group and
`terraform init` runs once per directory per session.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from terraform_harness import (
    ALIASED_MODULE_NAMES,
    EXAMPLE_NAMES,
    EXAMPLES_DIR,
    MODULE_NAMES,
    MODULES_DIR,
    TERRAFORM_DIR,
    InitFunction,
    run_terraform,
)

VALIDATE_TARGETS = {
    "root": TERRAFORM_DIR,
    **{
        f"module:{name}": MODULES_DIR / name
        for name in MODULE_NAMES
        if name not in ALIASED_MODULE_NAMES
    },
    **{f"example:{name}": EXAMPLES_DIR / name for name in EXAMPLE_NAMES},
}
TEST_TARGETS = {
    "root": TERRAFORM_DIR,
    **{f"module:{name}": MODULES_DIR / name for name in MODULE_NAMES},
}


def validate(directory: Path, env: dict[str, str]) -> dict:
    result = run_terraform(["validate", "-json", "-no-color"], directory, env)
    report = json.loads(result.output[result.output.index("{") :])
    return report


@pytest.mark.xdist_group("terraform")
@pytest.mark.parametrize("directory", VALIDATE_TARGETS.values(), ids=VALIDATE_TARGETS.keys())
def test_validate(directory: Path, terraform_init: InitFunction, tf_env: dict[str, str]) -> None:
    terraform_init(directory)
    report = validate(directory, tf_env)
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert report["valid"] and errors == [], json.dumps(errors, indent=2)


@pytest.mark.xdist_group("terraform")
@pytest.mark.parametrize("directory", TEST_TARGETS.values(), ids=TEST_TARGETS.keys())
def test_terraform_test(
    directory: Path, terraform_init: InitFunction, tf_env: dict[str, str]
) -> None:
    terraform_init(directory)
    result = run_terraform(["test", "-no-color"], directory, tf_env)
    assert result.returncode == 0, result.output
    assert " 0 failed" in result.output and "Success!" in result.output, result.output


def test_every_module_has_the_standard_files() -> None:
    for name in MODULE_NAMES:
        for filename in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (MODULES_DIR / name / filename).is_file(), f"modules/{name}/{filename} missing"
        assert list((MODULES_DIR / name / "tests").glob("*.tftest.hcl")), f"{name} has no tests"


def test_aliased_modules_are_validated_through_their_example() -> None:
    for name in ALIASED_MODULE_NAMES:
        assert "configuration_aliases" in (MODULES_DIR / name / "versions.tf").read_text()
        assert f"../../modules/{name}" in (EXAMPLES_DIR / name / "main.tf").read_text()


def test_every_environment_has_a_backend_with_lock_file() -> None:
    for environment in ("dev", "staging", "prod"):
        backend = (TERRAFORM_DIR / "backends" / f"{environment}.s3.tfbackend").read_text()
        assert "use_lockfile = true" in backend
        assert f"/{environment}/terraform.tfstate" in backend
