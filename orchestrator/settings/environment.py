"""Environment files (``environments/<env>.yaml``) -> validated settings.

One YAML file per environment is the only thing a platform engineer edits. It is validated by
pydantic models here, and every error names the file, the key and what is allowed, so a typo
never reaches Terraform or SageMaker.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestrator.backends.model_registry import ApprovalStatus
from orchestrator.errors import ConfigError
from orchestrator.pipeline.config import (
    CacheSettings,
    PreprocessSettings,
    ProcessingResources,
    TrainingResources,
    TuningSettings,
)
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.transform import TransformSettings

ENVIRONMENTS_DIR_ENV = "ORCHESTRATOR_ENVIRONMENTS_DIR"
ENV_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
DEMO_PREFIX = "demo:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetSettings(_Strict):
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


class PipelineSettings(_Strict):
    """The environment's pipeline settings; the sub-sections are the builder's own models
    (``orchestrator.pipeline.config``) so the two can never disagree."""

    name: str | None = Field(None, pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
    approval: Literal["auto", "manual"] = Field(
        "manual",
        description="auto: a model that passes the gate is registered Approved; manual: "
        "PendingManualApproval until someone approves it.",
    )
    metric_threshold: float | None = Field(
        None, description="Overrides the schema's gate threshold."
    )
    image_tag: str = Field("latest", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
    processing: ProcessingResources = ProcessingResources()
    training: TrainingResources = TrainingResources()
    preprocess: PreprocessSettings = PreprocessSettings()
    tuning: TuningSettings = TuningSettings()
    caching: CacheSettings = CacheSettings()

    @property
    def approval_status(self) -> ApprovalStatus:
        return "Approved" if self.approval == "auto" else "PendingManualApproval"


class LocalSettings(_Strict):
    state_dir: str = Field(".mlops/local", description="Artifact store, registry and executions.")


# -- the Terraform root module's settings (aws environments) ---------------------------------------
# CloudWatch Logs accepts only these retention periods (the root module validates the same list).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)  # fmt: skip
TERRAFORM_ENVIRONMENTS = ("dev", "staging", "prod")
TERRAFORM_PROJECT = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")


class NetworkSettings(_Strict):
    """The VPC: its CIDR and the zones of its private subnets (one each, pinned so subnets never
    move when AWS adds a zone)."""

    vpc_cidr: str = Field(description="IPv4 CIDR, /16 to /24, e.g. 10.10.0.0/16.")
    availability_zones: list[str] = Field(min_length=2, description="At least two, distinct.")

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not an IPv4 CIDR block ({exc}); write e.g. 10.10.0.0/16"
            ) from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value!r}: the prefix length must be /16 to /24")
        return value

    @field_validator("availability_zones")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} repeats a zone; list each zone once")
        return value


class RetentionSettings(_Strict):
    """How long logs, old object versions and images are kept."""

    log_days: int = Field(description="CloudWatch log groups; prod needs at least 365.")
    access_log_days: int = Field(ge=1, description="S3 server access logs.")
    noncurrent_version_days: int = Field(ge=1, description="Overwritten/deleted S3 versions.")
    ecr_images: int = Field(ge=1, description="Images the ECR lifecycle policy keeps.")

    @field_validator("log_days")
    @classmethod
    def _cloudwatch_value(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; use one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
            )
        return value


class AlarmThresholds(_Strict):
    """Endpoint alarms (they also roll a bad deployment back)."""

    endpoint_5xx_rate_percent: float = Field(gt=0, le=100)
    endpoint_4xx_rate_percent: float = Field(gt=0, le=100)
    model_latency_p99_ms: float = Field(gt=0)
    cpu_utilization_percent: float = Field(gt=0, le=100)
    memory_utilization_percent: float = Field(gt=0, le=100)


class MonitoringSettings(_Strict):
    alarm_thresholds: AlarmThresholds
    alert_emails: list[str] = Field(default_factory=list, description="Each confirms by mail.")
    monthly_budget_usd: float = Field(gt=0, description="Budget for resources tagged Project.")

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", a)]
        if bad:
            raise ValueError(f"{bad} are not e-mail addresses such as ml-oncall@example.com")
        return value


class SafetySettings(_Strict):
    """Switches that decide what a `terraform destroy` may take with it."""

    force_destroy: bool = Field(description="Delete non-empty buckets on destroy; never in prod.")
    kms_deletion_window_days: int = Field(ge=7, le=30)


class AccessSettings(_Strict):
    """Who runs the orchestrator (CI) and an optional permissions boundary."""

    orchestrator_principal_arns: list[str] = Field(default_factory=list)
    orchestrator_role_names: list[str] = Field(default_factory=list)
    permissions_boundary_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$"
    )

    @field_validator("orchestrator_principal_arns")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        pattern = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$")
        bad = [arn for arn in value if not pattern.match(arn)]
        if bad:
            raise ValueError(
                f"{bad} are not IAM role or user ARNs (arn:aws:iam::123456789012:role/ci-deployer)"
            )
        return value

    @field_validator("orchestrator_role_names")
    @classmethod
    def _role_names(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.match(r"^[\w+=,.@-]{1,64}$", name)]
        if bad:
            raise ValueError(f"{bad} are not IAM role names (names, not ARNs)")
        return value


class TerraformSettings(_Strict):
    """Everything the Terraform root module needs beyond project, environment and region; the
    renderer (``orchestrator render``) turns it into ``<env>.tfvars.json``."""

    network: NetworkSettings
    retention: RetentionSettings
    monitoring: MonitoringSettings
    safety: SafetySettings
    access: AccessSettings = AccessSettings()
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on everything.")

    def check_environment(self, name: str, project: str, region: str) -> None:
        """The rules that span the file: names Terraform accepts, zones in the region, prod's
        safety floor. Raised as ValueError so the message lands in the file's error paragraph."""
        problems = []
        if name not in TERRAFORM_ENVIRONMENTS:
            problems.append(
                f"name: the Terraform stack exists for {', '.join(TERRAFORM_ENVIRONMENTS)} only, "
                f"not {name!r}"
            )
        if not TERRAFORM_PROJECT.match(project):
            problems.append(
                f"project: {project!r} must be 3-20 lowercase letters, digits or hyphens, not "
                "ending with a hyphen (it becomes part of S3 bucket names)"
            )
        foreign = [z for z in self.network.availability_zones if not z.startswith(region)]
        if foreign:
            problems.append(
                f"terraform.network.availability_zones: {foreign} are not in region {region} "
                f"(write {region}a, {region}b, ...)"
            )
        if name == "prod" and self.safety.force_destroy:
            problems.append("terraform.safety.force_destroy: must be false in prod")
        if name == "prod" and self.retention.log_days < 365:
            problems.append("terraform.retention.log_days: prod keeps logs at least 365 days")
        if problems:
            raise ValueError("; ".join(problems))


class EnvironmentConfig(_Strict):
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


def load_environment(name: str, directory: Path | None = None) -> EnvironmentConfig:
    """Read and validate ``<directory>/<name>.yaml``."""
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
    return load_environment_file(path, expected_name=name)


def load_environment_file(path: Path, expected_name: str | None = None) -> EnvironmentConfig:
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
    try:
        config = EnvironmentConfig.model_validate({**data, "source": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from None
    return config


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One paragraph listing each bad key with what is allowed."""
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see environments/README.md for the keys)"
        elif err["type"] == "literal_error":
            message = f"not allowed; {err['msg'].lower()}"
        problems.append(f"{key}: {message}")
    return f"environment file {path} has invalid settings: " + "; ".join(problems) + "."
