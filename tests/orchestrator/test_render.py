"""``orchestrator render``: environment file -> tfvars, checked against the root module.

The rendered dev/staging/prod variables must equal Terraform's own test fixtures
(``terraform/tests/fixtures``), which ``terraform test`` and the plan tests run with, so what the
orchestrator renders is exactly what Terraform is tested on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from orchestrator.cli import main
from orchestrator.errors import ConfigError
from orchestrator.infra.hcl_blocks import variable_blocks_without_nested_blocks
from orchestrator.infra.render import RenderError, render, render_text
from orchestrator.infra.variables import check_variables, declared_variables, describe_type
from orchestrator.settings.environment import load_environment

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = REPO / "environments"
TERRAFORM = REPO / "terraform"
AWS_ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture
def envdir(tmp_path: Path) -> Path:
    """A copy of the shipped environment files and their rendered tfvars."""
    folder = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def edit(folder: Path, name: str, change: dict) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    for dotted, value in change.items():
        target = data
        *parents, last = dotted.split(".")
        for key in parents:
            target = target[key]
        target[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("environment", AWS_ENVIRONMENTS)
def test_rendered_variables_equal_terraforms_test_fixtures(environment: str) -> None:
    rendered = json.loads(render_text(load_environment(environment, ENVIRONMENTS)))
    fixture = json.loads(
        (TERRAFORM / "tests" / "fixtures" / f"{environment}.tfvars.json").read_text()
    )
    assert rendered == fixture


@pytest.mark.parametrize("environment", AWS_ENVIRONMENTS)
def test_committed_tfvars_are_up_to_date(environment: str) -> None:
    result = render(load_environment(environment, ENVIRONMENTS), write=False)
    assert result.up_to_date, f"run `orchestrator render --env {environment}` and commit it"
    assert result.path == ENVIRONMENTS / f"{environment}.tfvars.json"


def test_rendering_is_deterministic_and_integral_numbers_stay_integers() -> None:
    config = load_environment("prod", ENVIRONMENTS)
    first, second = render_text(config), render_text(config)
    assert first == second
    assert '"monthly_budget_usd": 2000,' in first and "2000.0" not in first
    assert first.endswith("}\n")


def test_check_exits_1_naming_the_stale_file_then_render_refreshes_it(
    envdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(envdir, "dev", {"terraform.monitoring.monthly_budget_usd": 250})
    args = ["--env", "dev", "--environments-dir", str(envdir)]
    before = (envdir / "dev.tfvars.json").read_text()
    assert main(["render", *args, "--check"]) == 1
    error = capsys.readouterr().err
    assert f"stale: {envdir / 'dev.tfvars.json'}" in error
    assert "orchestrator render --env dev" in error
    assert (envdir / "dev.tfvars.json").read_text() == before  # --check never writes

    assert main(["render", *args]) == 0
    assert "written" in capsys.readouterr().out
    assert json.loads((envdir / "dev.tfvars.json").read_text())["monthly_budget_usd"] == 250
    assert main(["render", *args, "--check"]) == 0
    assert main(["render", *args]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_permissions_boundary_is_rendered_only_when_set(envdir: Path) -> None:
    boundary = "arn:aws:iam::111122223333:policy/boundary"
    edit(envdir, "staging", {"terraform.access.permissions_boundary_arn": boundary})
    values = json.loads(render_text(load_environment("staging", envdir)))
    assert values["permissions_boundary_arn"] == boundary
    assert "permissions_boundary_arn" not in json.loads(
        render_text(load_environment("dev", envdir))
    )


def module_with_changed_variables(tmp_path: Path, old: str, new: str) -> Path:
    module = tmp_path / "terraform"
    module.mkdir()
    text = (TERRAFORM / "variables.tf").read_text()
    assert old in text
    (module / "variables.tf").write_text(text.replace(old, new))
    return module


def test_a_variable_the_module_does_not_declare_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = module_with_changed_variables(tmp_path, 'variable "vpc_cidr"', 'variable "vpc_range"')
    args = ["render", "--env", "dev", "--environments-dir", str(ENVIRONMENTS)]
    assert main([*args, "--terraform-dir", str(module), "--check"]) == 2
    error = capsys.readouterr().err
    assert "vpc_cidr is not a variable of the root module" in error
    assert "vpc_range is required by the root module but not rendered" in error


def test_a_variable_of_another_type_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = 'variable "monthly_budget_usd" {\n  type        = number'
    module = module_with_changed_variables(
        tmp_path, old, 'variable "monthly_budget_usd" {\n  type        = list(number)'
    )
    args = ["render", "--env", "prod", "--environments-dir", str(ENVIRONMENTS)]
    assert main([*args, "--terraform-dir", str(module)]) == 2
    assert "monthly_budget_usd must be a list(number), got 2000" in capsys.readouterr().err


def test_render_refuses_a_local_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--env", "local", "--environments-dir", str(ENVIRONMENTS)]) == 2
    assert "has no Terraform stack" in capsys.readouterr().err


def test_an_aws_environment_without_a_terraform_section_cannot_render(envdir: Path) -> None:
    path = envdir / "dev.yaml"
    data = yaml.safe_load(path.read_text())
    del data["terraform"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RenderError, match="has no 'terraform' section"):
        render(load_environment("dev", envdir), write=False)


# -- environment validation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("environment", "change", "message"),
    [
        ("dev", {"terraform.network.vpc_cidr": "10.0.0.0/12"}, r"network\.vpc_cidr: .*/16 to /24"),
        ("dev", {"terraform.network.vpc_cidr": "10.10.0.1/16"}, r"is not an IPv4 CIDR block"),
        (
            "dev",
            {"terraform.network.availability_zones": ["eu-west-1a", "us-east-1b"]},
            r"\['us-east-1b'\] are not in region eu-west-1",
        ),
        (
            "dev",
            {"terraform.retention.log_days": 31},
            r"retention\.log_days: 31 is not a CloudWatch",
        ),
        ("prod", {"terraform.safety.force_destroy": True}, r"force_destroy: must be false in prod"),
        ("prod", {"terraform.retention.log_days": 90}, r"prod keeps logs at least 365 days"),
        ("dev", {"terraform.monitoring.alert_emails": ["oncall"]}, r"are not e-mail addresses"),
        ("dev", {"terraform.network.vpc": "x"}, r"terraform\.network\.vpc: unknown key"),
        ("dev", {"endpoint.deployment.mode": "blue"}, r"endpoint\.deployment\.mode: not allowed"),
        ("dev", {"dataset.data": "data.csv"}, r"dataset\.data: 'data\.csv' must be s3:// URIs"),
        ("dev", {"project": "a-very-long-project-name"}, r"project: .* must be 3-20 lowercase"),
        (
            "dev",
            {"terraform.access.orchestrator_principal_arns": []},
            r"orchestrator_principal_arns: name at least one IAM role or user",
        ),
        (
            "staging",
            {"terraform.access.orchestrator_role_names": ["mlops-ci-staging", "ops"]},
            r"\['ops'\] get the orchestrator policies but are not in orchestrator_principal_arns",
        ),
    ],
)
def test_bad_aws_settings_name_the_file_and_key(
    envdir: Path, environment: str, change: dict, message: str
) -> None:
    edit(envdir, environment, change)
    with pytest.raises(ConfigError, match=message) as raised:
        load_environment(environment, envdir)
    assert f"{environment}.yaml" in str(raised.value)


def test_a_terraform_stack_exists_only_for_dev_staging_prod(tmp_path: Path) -> None:
    data = yaml.safe_load((ENVIRONMENTS / "dev.yaml").read_text())
    data["name"] = "qa"
    (tmp_path / "qa.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="for dev, staging, prod only, not 'qa'"):
        load_environment("qa", tmp_path)


# -- reading the module's declarations with Terraform core -----------------------------------------
def test_declared_variables_of_the_root_module() -> None:
    declared = declared_variables(TERRAFORM)
    assert describe_type(declared["availability_zones"].type) == "list(string)"
    assert describe_type(declared["tags"].type) == "map(string)"
    assert declared["alarm_thresholds"].type[0] == "object"
    assert set(declared["alarm_thresholds"].type[1]) == {
        "endpoint_5xx_rate_percent",
        "endpoint_4xx_rate_percent",
        "model_latency_p99_ms",
        "cpu_utilization_percent",
        "memory_utilization_percent",
    }
    assert declared["project"].required and not declared["tags"].required


def test_the_scanner_keeps_braces_inside_strings_heredocs_and_comments(tmp_path: Path) -> None:
    text = """
# a comment with { an open brace
variable "tricky" {
  type        = object({ name = string, sizes = optional(list(number), [1]) })
  description = "a } in a string, an escaped \\" quote and ${"}"} in a template"
  default     = null
  /* a block comment } */
  validation {
    condition     = var.tricky == null || length("${var.tricky.name}}") > 0
    error_message = <<-EOT
      a heredoc with } and {
    EOT
  }
}
// another comment }
resource "terraform_data" "ignored" {
  input = { a = "b" }
}
variable "plain" { type = string }
"""
    kept = variable_blocks_without_nested_blocks(text)
    assert "validation" not in kept and "terraform_data" not in kept
    (tmp_path / "main.tf").write_text(text)
    declared = declared_variables(tmp_path)
    assert sorted(declared) == ["plain", "tricky"]
    assert describe_type(declared["tricky"].type) == (
        "object({name = string, sizes = optional(list(number))})"
    )
    assert check_variables({"tricky": {"name": "x"}, "plain": "y"}, declared) == []
    assert check_variables({"tricky": {"sizes": ["1"]}, "plain": True}, declared) == [
        "tricky.name is missing (object({name = string, sizes = optional(list(number))}))",
        "tricky.sizes[0] must be a number, got '1'",
        "plain must be a string, got True",
    ]


# -- subnet sizing ---------------------------------------------------------------------------------
def test_peak_instances_count_a_run_a_blue_green_update_and_a_transform(envdir: Path) -> None:
    from orchestrator.infra.render import peak_instance_count

    edit(
        envdir,
        "prod",
        {
            "pipeline.processing": {"instance_type": "ml.m5.xlarge", "instance_count": 2},
            "pipeline.training": {"instance_type": "ml.m5.xlarge", "instance_count": 1},
            "pipeline.tuning": {"strategy": "Bayesian", "max_jobs": 8, "max_parallel_jobs": 3},
            "endpoint.autoscaling": {
                "min_capacity": 2,
                "max_capacity": 5,
                "target_invocations_per_instance": 100,
            },
            "transform.instance_count": 2,
        },
    )
    config = load_environment("prod", envdir)
    # max(2 processing, 1 x 3 parallel training) + 2 fleets x 5 + 2 transform
    assert peak_instance_count(config) == 3 + 10 + 2
    assert json.loads(render_text(config))["sagemaker_peak_instance_count"] == 15
