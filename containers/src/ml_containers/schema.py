"""The declarative dataset schema: one file that preprocessing, training, evaluation, serving and
the orchestrator all read, so a dataset is described once.

A schema names the problem type, the target (and its classes for classification), optional ID
columns that are carried through but never trained on, the feature columns in *schema order*
(the order serving expects), and the metric the pipeline's quality gate compares against a
threshold. The file is YAML or JSON; errors name the file, the key and what is allowed.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SCHEMA_FILE_NAMES = ("schema.yaml", "schema.yml", "schema.json")


class SchemaError(ValueError):
    """A schema file is missing, unreadable or inconsistent; the message says what to fix."""


class ProblemType(StrEnum):
    BINARY = "binary_classification"
    MULTICLASS = "multiclass_classification"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not ProblemType.REGRESSION


class ColumnType(StrEnum):
    NUMERIC = "numeric"
    INTEGER = "integer"
    CATEGORICAL = "categorical"


class MetricSpec(BaseModel):
    """What one gate metric means: where it applies and which way is better."""

    model_config = ConfigDict(frozen=True)
    name: str
    higher_is_better: bool
    problem_types: tuple[ProblemType, ...]


_CLS = (ProblemType.BINARY, ProblemType.MULTICLASS)
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(name="auc", higher_is_better=True, problem_types=(ProblemType.BINARY,)),
        MetricSpec(name="accuracy", higher_is_better=True, problem_types=_CLS),
        MetricSpec(name="precision", higher_is_better=True, problem_types=(ProblemType.BINARY,)),
        MetricSpec(name="recall", higher_is_better=True, problem_types=(ProblemType.BINARY,)),
        MetricSpec(name="f1", higher_is_better=True, problem_types=(ProblemType.BINARY,)),
        MetricSpec(name="macro_f1", higher_is_better=True, problem_types=_CLS),
        MetricSpec(name="weighted_f1", higher_is_better=True, problem_types=_CLS),
        MetricSpec(name="log_loss", higher_is_better=False, problem_types=_CLS),
        MetricSpec(name="rmse", higher_is_better=False, problem_types=(ProblemType.REGRESSION,)),
        MetricSpec(name="mae", higher_is_better=False, problem_types=(ProblemType.REGRESSION,)),
        MetricSpec(name="r2", higher_is_better=True, problem_types=(ProblemType.REGRESSION,)),
    )
}

DEFAULT_GATE: dict[ProblemType, tuple[str, float]] = {
    ProblemType.BINARY: ("auc", 0.75),
    ProblemType.MULTICLASS: ("macro_f1", 0.7),
    ProblemType.REGRESSION: ("r2", 0.3),
}


class TrainingObjective(BaseModel):
    """How XGBoost and the tuner treat one problem type.

    ``tuning_metric`` is the metric the train program prints as ``validation:<name>=<value>``
    and the tuning job's MetricDefinitions regex reads. ``early_stopping_metric`` is the loss
    that early stopping watches: a ranking metric such as AUC plateaus after a few trees while
    the probabilities are still far from calibrated, so stopping on it keeps a model whose
    scores rank well but whose labels are all one class.
    """

    model_config = ConfigDict(frozen=True)
    xgboost_objective: str
    eval_metrics: tuple[str, ...]
    tuning_metric: str
    tuning_direction: Literal["Maximize", "Minimize"]
    early_stopping_metric: str

    @property
    def tuning_metric_name(self) -> str:
        return f"validation:{self.tuning_metric}"

    @property
    def tuning_metric_regex(self) -> str:
        return rf"validation:{self.tuning_metric}=([0-9eE.+-]+)"


OBJECTIVES: dict[ProblemType, TrainingObjective] = {
    ProblemType.BINARY: TrainingObjective(
        xgboost_objective="binary:logistic",
        eval_metrics=("logloss", "auc"),
        tuning_metric="auc",
        tuning_direction="Maximize",
        early_stopping_metric="logloss",
    ),
    ProblemType.MULTICLASS: TrainingObjective(
        xgboost_objective="multi:softprob",
        eval_metrics=("merror", "mlogloss"),
        tuning_metric="mlogloss",
        tuning_direction="Minimize",
        early_stopping_metric="mlogloss",
    ),
    ProblemType.REGRESSION: TrainingObjective(
        xgboost_objective="reg:squarederror",
        eval_metrics=("mae", "rmse"),
        tuning_metric="rmse",
        tuning_direction="Minimize",
        early_stopping_metric="rmse",
    ),
}


class Column(BaseModel):
    """One feature column: ``min``/``max`` bound numeric values, ``categories`` lists the
    allowed values of a categorical one."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    type: ColumnType
    min: float | None = None
    max: float | None = None
    categories: list[str] | None = None
    nullable: bool = Field(True, description="Missing values are allowed (and imputed).")
    description: str | None = None

    @field_validator("categories", mode="before")
    @classmethod
    def _categories_as_strings(cls, value: Any) -> Any:
        # CSV values arrive as text, so categories compare as text: 1 and "1" are one category.
        if isinstance(value, list):
            return [_as_text(v) for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.type is ColumnType.CATEGORICAL:
            if not self.categories:
                raise ValueError(
                    f"column {self.name!r} is categorical but lists no categories; add "
                    "'categories: [...]' with every allowed value"
                )
            if len(set(self.categories)) != len(self.categories):
                raise ValueError(f"column {self.name!r} lists a category twice")
            if self.min is not None or self.max is not None:
                raise ValueError(
                    f"column {self.name!r} is categorical; min/max apply to numbers only"
                )
        else:
            if self.categories is not None:
                raise ValueError(
                    f"column {self.name!r} is {self.type.value}; 'categories' applies to "
                    "categorical columns only"
                )
            for bound in (self.min, self.max):
                if bound is not None and not math.isfinite(bound):
                    raise ValueError(f"column {self.name!r} has a non-finite bound")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"column {self.name!r} has min {self.min} > max {self.max}")
        return self


class Target(BaseModel):
    """The column to predict. Classification lists its classes; a class's index is its label id."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    classes: list[str] | None = None

    @field_validator("classes", mode="before")
    @classmethod
    def _classes_as_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_as_text(v) for v in value]
        return value


class GateMetric(BaseModel):
    """The metric the pipeline's condition step compares with ``threshold``."""

    model_config = ConfigDict(extra="forbid")
    name: str
    threshold: float

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.name]

    @property
    def higher_is_better(self) -> bool:
        return self.spec.higher_is_better


class DatasetSchema(BaseModel):
    """A whole dataset description; see the module docstring."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    name: str = Field(min_length=1)
    problem_type: ProblemType
    target: Target
    id_columns: list[str] = Field(default_factory=list)
    features: list[Column] = Field(min_length=1)
    metric: GateMetric | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DatasetSchema:
        names = [c.name for c in self.features]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"feature names must be unique; repeated: {duplicates}")
        if self.target.name in names:
            raise ValueError(f"target {self.target.name!r} is also listed as a feature; remove it")
        for id_column in self.id_columns:
            if id_column in names or id_column == self.target.name:
                raise ValueError(
                    f"ID column {id_column!r} is also the target or a feature; ID columns are "
                    "carried through, never trained on"
                )
        classes = self.target.classes
        if self.problem_type.is_classification:
            if not classes or len(classes) < 2:
                raise ValueError(
                    f"{self.problem_type.value} needs 'target.classes' with at least two classes"
                )
            if len(set(classes)) != len(classes):
                raise ValueError("target.classes lists a class twice")
            if self.problem_type is ProblemType.BINARY and len(classes) != 2:
                raise ValueError(
                    f"binary_classification needs exactly 2 classes, got {len(classes)}; use "
                    "multiclass_classification for more"
                )
        elif classes is not None:
            raise ValueError("regression takes no 'target.classes'; remove them")
        if self.metric is None:
            name, threshold = DEFAULT_GATE[self.problem_type]
            self.metric = GateMetric(name=name, threshold=threshold)
        if self.metric.name not in METRICS:
            raise ValueError(
                f"unknown metric {self.metric.name!r}; choose one of {sorted(METRICS)}"
            )
        if self.problem_type not in self.metric.spec.problem_types:
            allowed = sorted(n for n, s in METRICS.items() if self.problem_type in s.problem_types)
            raise ValueError(
                f"metric {self.metric.name!r} does not apply to {self.problem_type.value}; "
                f"choose one of {allowed}"
            )
        return self

    # -- derived views -------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """Feature columns in schema order: the order of values in a serving request."""
        return [c.name for c in self.features]

    @property
    def gate(self) -> GateMetric:
        assert self.metric is not None  # filled by the validator
        return self.metric

    @property
    def objective(self) -> TrainingObjective:
        return OBJECTIVES[self.problem_type]

    @property
    def classes(self) -> list[str]:
        return list(self.target.classes or [])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def required_columns(self) -> list[str]:
        """Columns a training CSV must have (any order; extra columns are ignored)."""
        return [*self.id_columns, *self.feature_names, self.target.name]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def dump(self, path: Path) -> None:
        """Write the normalized schema (JSON or YAML by suffix)."""
        data = self.to_dict()
        if path.suffix == ".json":
            path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False))


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_schema(data: Any, source: str = "<schema>") -> DatasetSchema:
    """Validate already-parsed schema data; errors name ``source`` and the offending key."""
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: a schema must be a mapping with keys name, problem_type, ...")
    try:
        return DatasetSchema.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        raise SchemaError(
            f"{source} is not a valid dataset schema: " + "; ".join(problems)
        ) from None


def load_schema(path: Path) -> DatasetSchema:
    """Read a schema file (``.yaml``, ``.yml`` or ``.json``) or a directory holding one."""
    path = Path(path)
    if path.is_dir():
        found = [path / n for n in SCHEMA_FILE_NAMES if (path / n).is_file()]
        if not found:
            found = sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
        if len(found) != 1:
            raise SchemaError(
                f"expected exactly one schema file (schema.yaml or schema.json) in {path}, "
                f"found {len(found)}"
            )
        path = found[0]
    if not path.is_file():
        raise SchemaError(f"schema file {path} does not exist; pass the path of a schema YAML/JSON")
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot read schema {path}: {exc}") from None
    return parse_schema(data, str(path))
