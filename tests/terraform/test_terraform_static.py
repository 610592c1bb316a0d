"""Checks that need no provider: formatting, and typed, described, validated variables."""

from __future__ import annotations

from pathlib import Path

from terraform_harness import TERRAFORM_DIR, TERRAFORM_SHIM, base_env, run_terraform
from variable_audit import problems, variable_blocks


def test_shim_runs_terraform_core() -> None:
    result = run_terraform(["version"], TERRAFORM_DIR, base_env())
    assert result.returncode == 0, result.output
    assert result.output.startswith("Terraform v1."), result.output
    assert TERRAFORM_SHIM.stat().st_mode & 0o111, "tools/bin/terraform must be executable"


def test_fmt_check_recursive() -> None:
    result = run_terraform(["fmt", "-check", "-recursive", "-list=true"], TERRAFORM_DIR, base_env())
    assert result.returncode == 0, f"Run `terraform fmt -recursive terraform`:\n{result.output}"


def _variable_files() -> list[Path]:
    return sorted(path for path in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in path.parts)


def test_every_variable_is_typed_and_described() -> None:
    blocks = [block for path in _variable_files() for block in variable_blocks(path)]
    assert len(blocks) > 60, "the scanner found too few variable blocks to be trusted"
    assert problems(blocks) == []


def test_root_variables_that_can_be_wrong_are_validated() -> None:
    blocks = {block.name: block for block in variable_blocks(TERRAFORM_DIR / "variables.tf")}
    must_validate = [
        "project",
        "environment",
        "region",
        "availability_zones",
        "vpc_cidr",
        "log_retention_days",
        "force_destroy",
        "kms_deletion_window_days",
        "monthly_budget_usd",
        "alert_email_addresses",
        "alarm_thresholds",
        "orchestrator_principal_arns",
    ]
    unvalidated = [name for name in must_validate if blocks[name].validations == 0]
    assert unvalidated == []


def test_scanner_flags_untyped_and_undescribed_variables(tmp_path: Path) -> None:
    bad = tmp_path / "variables.tf"
    bad.write_text(
        'variable "untyped" {\n  description = "has no type"\n}\n\n'
        'variable "undescribed" {\n  type = object({\n    description = string\n  })\n'
        '  validation {\n    condition     = true\n    error_message = "x"\n  }\n}\n'
    )
    assert problems(variable_blocks(bad)) == [
        f"{bad}: variable 'untyped' has no type",
        f"{bad}: variable 'undescribed' has no description",
    ]
