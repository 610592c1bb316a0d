"""``orchestrator render``: an environment file -> the Terraform root module's variables.

The environment file is the only thing a platform engineer edits; the tfvars file beside it
(``environments/<env>.tfvars.json``) is generated from it with a jinja2 template and committed,
so a review shows exactly which Terraform inputs a change moves. Rendering is deterministic (same
file in, same bytes out), which is what lets ``--check`` compare byte for byte in CI.

Before anything is written the rendered values are checked against the variables the root
module declares (names and types, read by Terraform core: :mod:`orchestrator.infra.variables`),
so a template or module change that drifts apart fails here, not halfway through a plan.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from orchestrator.errors import UserError
from orchestrator.infra.account_layout import creates_autoscaling_role
from orchestrator.infra.variables import (
    TerraformVariablesError,
    check_variables,
    declared_variables,
)
from orchestrator.settings.environment import EnvironmentConfig

TEMPLATE_NAME = "terraform.tfvars.json.j2"
TERRAFORM_DIR_ENV = "ORCHESTRATOR_TERRAFORM_DIR"


class RenderError(UserError):
    """The environment cannot be rendered, or the result does not fit the root module."""


@dataclass(frozen=True)
class RenderResult:
    """What ``render`` produced for one environment and whether the file on disk matches."""

    environment: str
    path: Path
    text: str
    up_to_date: bool


def terraform_dir(explicit: Path | None = None) -> Path:
    """``--terraform-dir``, else ``$ORCHESTRATOR_TERRAFORM_DIR``, else the repository's
    ``terraform/`` (the root module next to this package)."""
    if explicit is not None:
        return explicit
    if os.environ.get(TERRAFORM_DIR_ENV):
        return Path(os.environ[TERRAFORM_DIR_ENV])
    return Path(__file__).resolve().parents[2] / "terraform"


def tfvars_path(config: EnvironmentConfig) -> Path:
    """``<env>.tfvars.json`` beside the environment file (the committed, reviewed copy)."""
    folder = config.source.parent if config.source is not None else Path.cwd()
    return folder / f"{config.name}.tfvars.json"


def _json_value(value: Any) -> str:
    """JSON for one value; whole floats as integers so ``200`` stays ``200`` (YAML numbers are
    validated as floats where fractions are allowed)."""
    return json.dumps(_plain(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("orchestrator.infra", "templates"),
        undefined=jinja2.StrictUndefined,  # a misspelt setting fails instead of rendering ""
        autoescape=False,
        keep_trailing_newline=True,
    )
    environment.filters["json"] = _json_value
    return environment.get_template(TEMPLATE_NAME)


def peak_instance_count(config: EnvironmentConfig) -> int:
    """The most SageMaker instances ``config`` can run in the VPC at the same time, a
    conservative bound for subnet sizing (the root module checks that each subnet holds two IPs
    per instance): a pipeline run (its processing job, or the tuning step's parallel training
    jobs), a blue/green endpoint update with both fleets at full scale, and a batch transform."""
    pipeline = config.pipeline
    training = pipeline.training.instance_count * pipeline.tuning.max_parallel_jobs
    endpoint = config.endpoint
    scaled = endpoint.autoscaling.max_capacity if endpoint.autoscaling is not None else 0
    fleet = max(endpoint.initial_instance_count, scaled)
    return (
        max(pipeline.processing.instance_count, training)
        + 2 * fleet
        + config.transform.instance_count
    )


def render_variables(config: EnvironmentConfig, module_dir: Path | None = None) -> dict[str, Any]:
    """The Terraform variables of ``config``, checked against the root module's declarations."""
    if config.backend != "aws":
        raise RenderError(
            f"environment {config.name} uses the {config.backend} backend, which has no Terraform "
            "stack; render an aws environment (dev, staging, prod)"
        )
    if config.terraform is None:
        raise RenderError(
            f"environment file {config.source} has no 'terraform' section; add network, "
            "retention, monitoring and safety (see environments/README.md and dev.yaml)"
        )
    try:
        text = _template().render(
            env=config,
            tf=config.terraform,
            peak_instances=peak_instance_count(config),
            creates_autoscaling_role=creates_autoscaling_role(config),
        )
    except jinja2.TemplateError as exc:
        raise RenderError(f"the tfvars template failed for {config.name}: {exc}") from None
    try:
        values: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RenderError(f"the tfvars template produced invalid JSON ({exc})") from None
    module_dir = terraform_dir(module_dir)
    try:
        problems = check_variables(values, declared_variables(module_dir))
    except TerraformVariablesError as exc:
        raise RenderError(str(exc)) from None
    if problems:
        raise RenderError(
            f"the variables rendered for {config.name} do not fit the root module in "
            f"{module_dir}: " + "; ".join(problems) + ". Fix orchestrator/infra/templates/"
            f"{TEMPLATE_NAME} or the module's variables.tf so they agree"
        )
    return values


def render_text(config: EnvironmentConfig, module_dir: Path | None = None) -> str:
    """The tfvars file's exact bytes: two-space JSON in the template's key order, newline end."""
    return json.dumps(render_variables(config, module_dir), indent=2, ensure_ascii=False) + "\n"


def render(
    config: EnvironmentConfig, module_dir: Path | None = None, *, write: bool = True
) -> RenderResult:
    """Render ``config``; with ``write`` replace the file when it differs (never touch an
    up-to-date file, so its mtime stays meaningful)."""
    text = render_text(config, module_dir)
    path = tfvars_path(config)
    try:
        current = path.read_text() if path.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise RenderError(f"cannot read {path}: {exc}") from None
    up_to_date = current == text
    if write and not up_to_date:
        try:
            path.write_text(text)
        except OSError as exc:
            raise RenderError(
                f"cannot write {path}: {exc}; check the folder's permissions"
            ) from None
    return RenderResult(config.name, path, text, up_to_date)
