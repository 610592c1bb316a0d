"""The training job's hyperparameters: parsed from SageMaker's all-strings JSON and checked.

SageMaker passes every hyperparameter as a string (``{"max_depth": "6"}``), tuning jobs add
``_tuning_objective_metric`` and toolkits add ``sagemaker_*`` keys. Everything else must be a key
this module knows with a value in range: a typo such as ``max_dept`` or ``eta=fast`` fails the job
with the key and the allowed values named, instead of silently training with defaults.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..schema import DatasetSchema, ProblemType
from .device import choose_device
from .failure import JobFailure

IGNORED_PREFIXES = ("_", "sagemaker_")

# Objectives whose predictions keep the meaning serving and evaluation rely on: probabilities per
# class for classification, values on the target's scale for regression.
ALLOWED_OBJECTIVES: dict[ProblemType, tuple[str, ...]] = {
    ProblemType.BINARY: ("binary:logistic",),
    ProblemType.MULTICLASS: ("multi:softprob",),
    ProblemType.REGRESSION: (
        "reg:squarederror",
        "reg:absoluteerror",
        "reg:pseudohubererror",
        "reg:squaredlogerror",
        "reg:gamma",
        "reg:tweedie",
        "count:poisson",
    ),
}

TREE_METHODS = ("auto", "hist", "approx", "exact")
DEVICES = ("auto", "cpu", "cuda")  # auto: the GPU when there is one (train/device.py)


@dataclass(frozen=True)
class Param:
    """One supported hyperparameter: how to parse it and which values are allowed."""

    name: str
    kind: type  # int, float or str
    default: Any
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low bound itself is not allowed
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.kind is int else "a number"
        low = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = "" if self.high is None else f"<= {self.high:g}"
        bounds = " and ".join(b for b in (low, high) if b)
        return f"{kind} {bounds}".strip()

    def parse(self, text: str) -> Any:
        """The typed value of ``text``; ``ValueError`` with the allowed values if it is not."""
        value: Any
        if self.kind is str:
            value = text.strip().lower()
            if value not in self.choices:
                raise ValueError(self.allowed())
            return value
        try:
            number = float(text)
        except ValueError:
            raise ValueError(self.allowed()) from None
        if not math.isfinite(number):
            raise ValueError(self.allowed())
        if self.kind is int:
            if not number.is_integer():
                raise ValueError(self.allowed())
            value = int(number)
        else:
            value = number
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low
        )
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise ValueError(self.allowed())
        return value


def _params(cores: int) -> dict[str, Param]:
    unit = {"low": 0.0, "high": 1.0, "low_open": True}
    specs = [
        Param("num_round", int, 300, low=1, high=100_000),
        Param("early_stopping_rounds", int, 20, low=0, high=100_000),
        Param("max_depth", int, 6, low=1, high=64),
        Param("eta", float, 0.1, **unit),
        Param("subsample", float, 1.0, **unit),
        Param("colsample_bytree", float, 1.0, **unit),
        Param("min_child_weight", float, 1.0, low=0),
        Param("gamma", float, 0.0, low=0),
        Param("alpha", float, 0.0, low=0),
        Param("lambda", float, 1.0, low=0),
        Param("max_bin", int, 256, low=2, high=65_536),
        Param("tree_method", str, "hist", choices=TREE_METHODS),
        Param("seed", int, 0, low=0, high=2**31 - 1),
        Param("nthread", int, cores, low=1, high=4096),
        Param("scale_pos_weight", float, 1.0, low=0, low_open=True),
        Param(
            "objective", str, "", choices=tuple(o for v in ALLOWED_OBJECTIVES.values() for o in v)
        ),
        Param("num_class", int, 0, low=2, high=100_000),
        Param("device", str, "auto", choices=DEVICES),
    ]
    return {p.name: p for p in specs}


# Every hyperparameter name the train program accepts (the pipeline builder checks against it).
ACCEPTED_HYPERPARAMETERS = frozenset(_params(cores=1))


@dataclass(frozen=True)
class TrainingConfig:
    """What ``xgboost.train`` gets, plus the values as they were given (for the manifest)."""

    params: dict[str, Any]
    num_round: int
    early_stopping_rounds: int
    given: dict[str, str] = field(default_factory=dict)

    def effective(self) -> dict[str, Any]:
        """Every hyperparameter the model was trained with, defaults included."""
        return {
            **self.params,
            "num_round": self.num_round,
            "early_stopping_rounds": self.early_stopping_rounds,
        }


def as_text(value: Any) -> str:
    """SageMaker sends strings; the Python SDK sometimes JSON-encodes them (``"\\"hist\\""``) and
    local callers may write plain numbers. All three mean the same value."""
    if isinstance(value, bool):
        raise ValueError("true/false is not a valid value here")
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        decoded = json.loads(text)
        if isinstance(decoded, str):
            text = decoded.strip()
    return text


def parse_hyperparameters(
    raw: Mapping[str, Any], schema: DatasetSchema, cores: int
) -> TrainingConfig:
    """Check ``raw`` against the supported hyperparameters and the schema's problem type.

    All problems are reported together, so one failed job shows every mistake at once.
    """
    specs = _params(cores)
    problems: list[str] = []
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, raw_value in raw.items():
        if key.startswith(IGNORED_PREFIXES):
            continue
        spec = specs.get(key)
        if spec is None:
            supported = ", ".join(sorted(specs))
            problems.append(f"unknown hyperparameter {key!r} (supported: {supported})")
            continue
        try:
            text = as_text(raw_value)
            values[key] = spec.parse(text)
            given[key] = text
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(f"hyperparameter {key}={raw_value!r} is invalid: it must be {exc}")
    problems += _problem_type_conflicts(values, schema)
    if problems:
        raise JobFailure(
            "; ".join(problems)
            + ". Fix the training job's HyperParameters (all values are strings, e.g. "
            + '"max_depth": "6").'
        )
    return _build(values, specs, schema, given)


def _problem_type_conflicts(values: Mapping[str, Any], schema: DatasetSchema) -> list[str]:
    problem_type = schema.problem_type
    problems = []
    objective = values.get("objective")
    if objective and objective not in ALLOWED_OBJECTIVES[problem_type]:
        problems.append(
            f"objective {objective!r} does not fit the schema's problem type "
            f"{problem_type.value} (allowed: {', '.join(ALLOWED_OBJECTIVES[problem_type])}; "
            "or leave objective out and it follows the schema)"
        )
    num_class = values.get("num_class")
    if num_class is not None and num_class != schema.num_classes:
        expected = (
            f"{schema.num_classes} (the schema's classes)"
            if problem_type is ProblemType.MULTICLASS
            else "absent (it applies to multiclass_classification only)"
        )
        problems.append(f"num_class={num_class} conflicts with the schema: it must be {expected}")
    if "scale_pos_weight" in values and problem_type is not ProblemType.BINARY:
        problems.append(
            f"scale_pos_weight applies to binary_classification only, not {problem_type.value}"
        )
    return problems


def _build(
    values: Mapping[str, Any],
    specs: Mapping[str, Param],
    schema: DatasetSchema,
    given: dict[str, str],
) -> TrainingConfig:
    def value(name: str) -> Any:
        return values.get(name, specs[name].default)

    objective = schema.objective
    params: dict[str, Any] = {
        "objective": value("objective") or objective.xgboost_objective,
        "eval_metric": list(objective.eval_metrics),
    }
    for name in (
        "max_depth",
        "eta",
        "subsample",
        "colsample_bytree",
        "min_child_weight",
        "gamma",
        "alpha",
        "lambda",
        "max_bin",
        "tree_method",
        "seed",
        "nthread",
    ):
        params[name] = value(name)
    if schema.problem_type is ProblemType.MULTICLASS:
        params["num_class"] = schema.num_classes
    if schema.problem_type is ProblemType.BINARY:
        params["scale_pos_weight"] = value("scale_pos_weight")
    if choose_device(value("device")) == "cuda":  # the CPU stays XGBoost's own default
        params["device"] = "cuda"
    return TrainingConfig(
        params=params,
        num_round=int(value("num_round")),
        early_stopping_rounds=int(value("early_stopping_rounds")),
        given=given,
    )
