"""``PipelineConfig``: everything the definition needs that is not a stack output.

Stack outputs say *where* (buckets, roles, keys, subnets); this config says *what*: the image,
instance sizes, the tuning search, caching, step retries, the approval default, the code version
and the dataset schema. Both are validated before a single step is built, so a typo in a
hyperparameter name or an impossible range fails with the key to fix rather than as a failed
tuning job.
"""

from __future__ import annotations

import re
from typing import Literal

from ml_containers.schema import DatasetSchema
from ml_containers.train.hyperparameters import ACCEPTED_HYPERPARAMETERS
from pydantic import Field, field_validator, model_validator

from orchestrator.pipeline.retry import RetrySettings
from orchestrator.settings.approval import ApprovalStatus
from orchestrator.settings.instance_types import EndpointInstanceType, TransformInstanceType
from orchestrator.settings.jobs import ProcessingResources, TrainingResources
from orchestrator.settings.names import PipelineName
from orchestrator.settings.strict import StrictModel

# Hyperparameters the pipeline may set: what the `train` program accepts, less the two the
# dataset schema's problem type decides (objective, num_class).
TRAIN_HYPERPARAMETERS = ACCEPTED_HYPERPARAMETERS - {"objective", "num_class"}
# ISO 8601 duration as SageMaker's CacheConfig.ExpireAfter takes it (P30D, PT12H, P1Y2M, ...).
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")


class HyperparameterRange(StrictModel):
    """One tuned hyperparameter: a continuous or integer interval, or categorical values."""

    name: str
    kind: Literal["continuous", "integer", "categorical"]
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    scaling: Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"] = "Auto"

    @model_validator(mode="after")
    def _consistent(self) -> HyperparameterRange:
        if self.name not in TRAIN_HYPERPARAMETERS:
            raise ValueError(
                f"range {self.name!r} is not a hyperparameter the train program accepts; "
                f"choose one of {sorted(TRAIN_HYPERPARAMETERS)}"
            )
        if self.kind == "categorical":
            if not self.values or self.min is not None or self.max is not None:
                raise ValueError(
                    f"categorical range {self.name!r} takes 'values' only (not min/max)"
                )
            return self
        if self.min is None or self.max is None or self.values is not None:
            raise ValueError(f"{self.kind} range {self.name!r} needs 'min' and 'max' (no 'values')")
        if self.min >= self.max:
            raise ValueError(f"range {self.name!r} has min {self.min} >= max {self.max}")
        if self.kind == "integer" and not (self.min.is_integer() and self.max.is_integer()):
            raise ValueError(f"integer range {self.name!r} needs whole-number min and max")
        if self.scaling == "Logarithmic" and self.min <= 0:
            raise ValueError(f"range {self.name!r}: Logarithmic scaling needs min > 0")
        if self.scaling == "ReverseLogarithmic" and not (self.min >= 0 and self.max < 1):
            raise ValueError(f"range {self.name!r}: ReverseLogarithmic needs 0 <= min < max < 1")
        return self


DEFAULT_RANGES = (
    HyperparameterRange(name="eta", kind="continuous", min=0.01, max=0.3, scaling="Logarithmic"),
    HyperparameterRange(name="max_depth", kind="integer", min=3, max=8),
    HyperparameterRange(name="min_child_weight", kind="continuous", min=1, max=10),
    HyperparameterRange(name="subsample", kind="continuous", min=0.6, max=1.0),
    HyperparameterRange(name="colsample_bytree", kind="continuous", min=0.6, max=1.0),
    HyperparameterRange(name="lambda", kind="continuous", min=0.01, max=10, scaling="Logarithmic"),
)


class TuningSettings(StrictModel):
    """The hyperparameter search; max jobs and parallelism become parameter defaults."""

    strategy: Literal["Bayesian", "Random"] = "Bayesian"
    max_jobs: int = Field(default=8, ge=1, le=750)
    max_parallel_jobs: int = Field(default=2, ge=1, le=100)
    early_stopping: Literal["Off", "Auto"] = "Off"
    random_seed: int = Field(default=42, ge=0)
    static_hyperparameters: dict[str, str] = Field(
        default_factory=lambda: {"num_round": "200", "early_stopping_rounds": "20", "seed": "42"}
    )
    ranges: list[HyperparameterRange] = Field(default_factory=lambda: list(DEFAULT_RANGES))

    @field_validator("static_hyperparameters", mode="before")
    @classmethod
    def _values_as_strings(cls, value: object) -> object:
        # SageMaker passes every hyperparameter as a string; accept YAML numbers for convenience.
        if isinstance(value, dict):
            return {k: v if isinstance(v, str) else str(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TuningSettings:
        unknown = sorted(set(self.static_hyperparameters) - TRAIN_HYPERPARAMETERS)
        if unknown:
            raise ValueError(
                f"static_hyperparameters {unknown} are not accepted by the train program; "
                f"choose from {sorted(TRAIN_HYPERPARAMETERS)}"
            )
        names = [r.name for r in self.ranges]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"tuning ranges repeat {repeated}; give each hyperparameter one range")
        both = sorted(set(names) & set(self.static_hyperparameters))
        if both:
            raise ValueError(
                f"{both} are both static and tuned; SageMaker rejects that, remove one of them"
            )
        if not self.ranges:
            raise ValueError("tuning needs at least one hyperparameter range")
        if self.max_parallel_jobs > self.max_jobs:
            raise ValueError(
                f"max_parallel_jobs ({self.max_parallel_jobs}) exceeds max_jobs ({self.max_jobs})"
            )
        return self


class PreprocessSettings(StrictModel):
    """The preprocess program's arguments (docs/architecture.md)."""

    rejection_threshold: float = Field(default=0.05, ge=0, le=1)
    validation_fraction: float = Field(default=0.15, gt=0, lt=1)
    test_fraction: float = Field(default=0.15, gt=0, lt=1)
    seed: int = Field(default=42, ge=0)
    chunk_rows: int = Field(default=100_000, ge=1)

    @model_validator(mode="after")
    def _fractions_leave_training_rows(self) -> PreprocessSettings:
        if self.validation_fraction + self.test_fraction >= 1:
            raise ValueError("validation_fraction + test_fraction must be below 1")
        return self


class CacheSettings(StrictModel):
    """Step caching for the Processing and Tuning steps (SageMaker's CacheConfig)."""

    enabled: bool = True
    expire_after: str = "P30D"

    @field_validator("expire_after")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        if not ISO_DURATION.match(value):
            raise ValueError(
                f"expire_after {value!r} is not an ISO 8601 duration; write e.g. P30D, PT12H"
            )
        return value


class InferenceSettings(StrictModel):
    """What the registered model package declares about serving."""

    realtime_instance_types: list[EndpointInstanceType] = Field(
        default_factory=lambda: ["ml.m5.large"]
    )
    transform_instance_types: list[TransformInstanceType] = Field(
        default_factory=lambda: ["ml.m5.large"]
    )
    content_types: list[str] = Field(
        default_factory=lambda: ["text/csv", "application/json", "application/jsonlines"]
    )
    response_types: list[str] = Field(
        default_factory=lambda: ["application/json", "text/csv", "application/jsonlines"]
    )
    environment: dict[str, str] = Field(default_factory=dict)


class PipelineConfig(StrictModel):
    """All builder inputs that are not stack outputs; see the module docstring."""

    dataset: DatasetSchema = Field(description="The dataset schema (problem type, gate metric).")
    input_data_uri: str = Field(description="Default InputData: S3 prefix of the CSV file(s).")
    schema_uri: str = Field(description="Default SchemaUri: S3 URI of the schema file/prefix.")
    code_version: str = Field(min_length=1, description="Git commit of the code (lineage).")
    code_repository: str | None = None
    pipeline_name: PipelineName | None = Field(default=None, description="Default: stack's.")
    image_uri: str | None = Field(
        default=None,
        description="The image every step runs, as the backend resolved it (on AWS "
        "<repository>@sha256:...). Default, for definitions built without a backend: "
        "<ecr_repository_url>:<code_version>.",
    )
    processing: ProcessingResources = ProcessingResources()
    training: TrainingResources = TrainingResources()
    tuning: TuningSettings = TuningSettings()
    preprocess: PreprocessSettings = PreprocessSettings()
    caching: CacheSettings = CacheSettings()
    retry: RetrySettings = RetrySettings()
    inference: InferenceSettings = InferenceSettings()
    approval_status: ApprovalStatus = "PendingManualApproval"
    network_isolation: bool = True
    inter_container_encryption: bool = True
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("input_data_uri", "schema_uri")
    @classmethod
    def _s3_uri(cls, value: str) -> str:
        if not S3_URI.match(value):
            raise ValueError(
                f"{value!r} is not an s3:// URI: write s3://<bucket>/<prefix> with a valid bucket "
                "name (3-63 lowercase letters, digits, dots, hyphens)"
            )
        return value

    @property
    def gate_metric(self) -> str:
        return str(self.dataset.gate.name)


def parse_pipeline_config(data: object, source: str = "pipeline config") -> PipelineConfig:
    """Validate already-parsed config data; errors name ``source`` and each offending key."""
    from pydantic import ValidationError

    from orchestrator.pipeline.errors import DefinitionError

    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise DefinitionError(problems, context=source) from None
