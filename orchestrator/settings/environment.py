"""Environment files (``environments/<env>.yaml``) -> validated settings.

One YAML file per environment is the only thing a platform engineer edits. It is validated by
pydantic models here, and every error names the file, the key and what is allowed, so a typo
never reaches Terraform or SageMaker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from orchestrator.errors import ConfigError
from orchestrator.pipeline.config import CacheSettings, PreprocessSettings, TuningSettings
from orchestrator.pipeline.retry import RetrySettings
from orchestrator.settings.approval import ApprovalStatus
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.jobs import ProcessingResources, TrainingResources
from orchestrator.settings.monitoring import MonitoringSettings
from orchestrator.settings.names import PipelineName
from orchestrator.settings.overrides import (
    EnvironmentSource,
    apply_overrides,
    describe_override_error,
    parse_override,
)
from orchestrator.settings.strict import StrictModel
from orchestrator.settings.terraform import TerraformSettings
from orchestrator.settings.transform import TransformSettings

ENVIRONMENTS_DIR_ENV = "ORCHESTRATOR_ENVIRONMENTS_DIR"
ENV_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
DEMO_PREFIX = "demo:"


# Environments whose changes someone reviews: their stack is applied only from a saved,
# reviewed plan (`run --approve-plan`), and their images only from a commit (no -dirty tags).
PROTECTED_ENVIRONMENTS = frozenset({"staging", "prod"})


class DatasetSettings(StrictModel):
    """Where the training data and its schema come from.

    ``data`` is a CSV path (relative to the environment file), an ``s3://`` URI for AWS
    environments, or ``demo:<name>`` for a dataset that ships with scikit-learn
    (breast_cancer, wine, diabetes). ``schema`` may be omitted only for demo data.
    """

    data: str = "demo:breast_cancer"
    schema_file: str | None = Field(None, alias="schema")

    @property
    def demo_name(self) -> str | None:
        return self.data.removeprefix(DEMO_PREFIX) if self.data.startswith(DEMO_PREFIX) else None

    @model_validator(mode="after")
    def _schema_needed(self) -> DatasetSettings:
        if self.demo_name is None and not self.schema_file:
            raise ValueError("a dataset that is not demo data needs 'schema: <file>'")
        return self


class PipelineSettings(StrictModel):
    """The environment's pipeline settings; the sub-sections are the models the builder's
    ``PipelineConfig`` takes (``settings.jobs``, ``orchestrator.pipeline.config``), so the two
    can never disagree."""

    name: PipelineName | None = None
    approval: Literal["auto", "manual"] = Field(
        "manual",
        description="auto: a model that passes the gate is registered Approved; manual: "
        "PendingManualApproval until someone approves it.",
    )
    metric_threshold: float | None = Field(
        None, description="Overrides the schema's gate threshold."
    )
    processing: ProcessingResources = ProcessingResources()
    training: TrainingResources = TrainingResources()
    preprocess: PreprocessSettings = PreprocessSettings()
    tuning: TuningSettings = TuningSettings()
    caching: CacheSettings = CacheSettings()
    retry: RetrySettings = RetrySettings()

    @property
    def approval_status(self) -> ApprovalStatus:
        return "Approved" if self.approval == "auto" else "PendingManualApproval"

    @model_validator(mode="before")
    @classmethod
    def _no_image_tag(cls, data: Any) -> Any:
        if isinstance(data, dict) and "image_tag" in data:
            raise ValueError(
                "pipeline.image_tag is gone: jobs run the image by digest, resolved from the "
                "commit being run (push it with `orchestrator image push`) or from --image; "
                "remove image_tag"
            )
        return data


class LocalSettings(StrictModel):
    state_dir: str = Field(".mlops/local", description="Artifact store, registry and executions.")


class EnvironmentConfig(StrictModel):
    """One environment file."""

    name: str
    backend: Literal["local", "aws"]
    project: str = Field("mlops", pattern=r"^[a-z][a-z0-9-]{1,30}$")
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    account_id: str | None = Field(None, pattern=r"^\d{12}$")
    dataset: DatasetSettings = DatasetSettings()
    pipeline: PipelineSettings = PipelineSettings()
    endpoint: EndpointSettings = EndpointSettings()
    local: LocalSettings = LocalSettings()
    transform: TransformSettings = Field(
        TransformSettings(), description="AWS batch transform jobs: instances and payload."
    )
    monitoring: MonitoringSettings = Field(
        MonitoringSettings(), description="Drift thresholds (`orchestrator monitor run`)."
    )
    terraform: TerraformSettings | None = Field(
        None, description="The Terraform root module's settings (AWS only; see infrastructure)."
    )

    # Where the file was read from, to resolve relative paths in it.
    source: Path | None = Field(None, exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENV_NAME_PATTERN.match(value):
            raise ValueError("must be lowercase letters, digits and dashes, 2-21 characters")
        return value

    @model_validator(mode="after")
    def _aws_needs_account(self) -> EnvironmentConfig:
        if self.backend != "aws":
            return self
        if self.account_id is None:
            raise ValueError("an aws environment needs 'account_id' (12 digits)")
        if self.terraform is not None:
            self.terraform.check_environment(self.name, self.project, self.region)
        not_s3 = [
            f"dataset.{key}: {value!r}"
            for key, value in (("data", self.dataset.data), ("schema", self.dataset.schema_file))
            if not (value or "").startswith("s3://")
        ]
        if not_s3:
            raise ValueError(
                "an aws environment reads its data and schema from S3, so "
                + " and ".join(not_s3)
                + " must be s3:// URIs (upload them to the stack's data bucket)"
            )
        return self

    @property
    def pipeline_name(self) -> str:
        return self.pipeline.name or f"{self.project}-{self.name}"

    def resolve_path(self, value: str) -> Path:
        """A path from the file, relative to the file's folder when not absolute."""
        path = Path(value).expanduser()
        if path.is_absolute() or self.source is None:
            return path
        return (self.source.parent / path).resolve()

    @property
    def state_dir(self) -> Path:
        path = Path(self.local.state_dir).expanduser()
        return path if path.is_absolute() else Path.cwd() / path


def environments_dir(explicit: Path | None = None) -> Path:
    """``--environments-dir``, else ``$ORCHESTRATOR_ENVIRONMENTS_DIR``, else ``./environments``,
    else the repository's ``environments/`` next to this package (editable installs)."""
    if explicit is not None:
        return explicit
    if os.environ.get(ENVIRONMENTS_DIR_ENV):
        return Path(os.environ[ENVIRONMENTS_DIR_ENV])
    here = Path.cwd() / "environments"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "environments"


def available_environments(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def load_environment(
    name: str, directory: Path | EnvironmentSource | None = None
) -> EnvironmentConfig:
    """Read and validate ``<directory>/<name>.yaml`` (with ``--set`` overrides when ``directory``
    is an :class:`EnvironmentSource` carrying them)."""
    overrides: tuple[str, ...] = ()
    if isinstance(directory, EnvironmentSource):
        overrides = directory.overrides
        directory = directory.directory
    directory = environments_dir(directory)
    if not ENV_NAME_PATTERN.match(name):
        raise ConfigError(
            f"{name!r} is not a valid environment name (lowercase letters, digits, dashes). "
            f"Available: {', '.join(available_environments(directory)) or 'none'}."
        )
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = available_environments(directory)
        raise ConfigError(
            f"unknown environment {name!r}: there is no {path}. Available environments: "
            f"{', '.join(known) or 'none'}. Create {path.name} there or pick one of those."
        )
    return load_environment_file(path, expected_name=name, overrides=overrides)


def load_environment_file(
    path: Path, expected_name: str | None = None, overrides: Sequence[str] = ()
) -> EnvironmentConfig:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read environment file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(
            f"environment file {path} is not valid YAML{at}: {getattr(exc, 'problem', exc)}. "
            "Fix the syntax (indentation, colons, quotes) and try again."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"environment file {path} must be a YAML mapping of settings")
    if expected_name is not None and data.get("name", expected_name) != expected_name:
        raise ConfigError(
            f"{path} says name: {data.get('name')!r} but is the file for environment "
            f"{expected_name!r}; make them match"
        )
    data.setdefault("name", expected_name or path.stem)
    parsed = [parse_override(text) for text in overrides]  # KEY=VALUE form first
    try:
        config = EnvironmentConfig.model_validate({**data, "source": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from None
    if not parsed:
        return config
    try:
        changed = apply_overrides(data, parsed)
        return EnvironmentConfig.model_validate({**changed, "source": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(describe_override_error(parsed, validation_problems(exc))) from None


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One paragraph listing each bad key with what is allowed."""
    problems = [f"{key}: {message}" for key, message in validation_problems(exc)]
    return f"environment file {path} has invalid settings: " + "; ".join(problems) + "."


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(dotted key, what is wrong and allowed) for each of pydantic's errors."""
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see environments/README.md for the keys)"
        elif err["type"] == "literal_error":
            message = f"not allowed; {err['msg'].lower()}"
        problems.append((key, message))
    return problems
