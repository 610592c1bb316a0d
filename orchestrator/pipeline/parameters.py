"""Pipeline parameters: the values a run may override without changing the definition.

Each parameter's default comes from the config (or, for the threshold, the dataset schema's gate),
so a run with no overrides is the configured run. Types are SageMaker's (String, Integer, Float,
Boolean) and each is used only where the API field has that type; the validator checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ml_containers.metrics import gate_metric_names

from orchestrator.pipeline import names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.settings.approval import APPROVAL_STATUSES

ParameterType = Literal["String", "Integer", "Float", "Boolean"]
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "Integer": (int,),
    "Float": (float, int),
    "Boolean": (bool,),
}


@dataclass(frozen=True)
class Parameter:
    """One ``Parameters`` entry of the definition."""

    name: str
    type: ParameterType
    default: Any
    enum_values: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"Name": self.name, "Type": self.type, "DefaultValue": self.default}
        if self.enum_values:
            entry["EnumValues"] = list(self.enum_values)
        return entry


def pipeline_parameters(config: PipelineConfig) -> list[Parameter]:
    """The definition's parameters, in a fixed order (part of the byte-identical contract)."""
    return [
        Parameter(names.INPUT_DATA, "String", config.input_data_uri),
        Parameter(names.INPUT_DATA_VERSION, "String", names.UNVERSIONED_DATA),
        Parameter(names.SCHEMA_URI, "String", config.schema_uri),
        Parameter(names.METRIC_THRESHOLD, "Float", float(config.dataset.gate.threshold)),
        # EnumValues: SageMaker itself refuses a metric the problem type does not produce.
        Parameter(
            names.GATE_METRIC,
            "String",
            config.gate_metric,
            tuple(gate_metric_names(config.dataset.problem_type)),
        ),
        Parameter(names.MODEL_APPROVAL_STATUS, "String", config.approval_status, APPROVAL_STATUSES),
        Parameter(names.PROCESSING_INSTANCE_TYPE, "String", config.processing.instance_type),
        Parameter(names.PROCESSING_INSTANCE_COUNT, "Integer", config.processing.instance_count),
        Parameter(names.TRAINING_INSTANCE_TYPE, "String", config.training.instance_type),
        Parameter(names.TRAINING_INSTANCE_COUNT, "Integer", config.training.instance_count),
        # A String because it is a command-line argument (ContainerArguments are strings).
        Parameter(
            names.REJECTION_THRESHOLD, "String", _decimal(config.preprocess.rejection_threshold)
        ),
        Parameter(names.MAX_TUNING_JOBS, "Integer", config.tuning.max_jobs),
        Parameter(names.MAX_PARALLEL_TUNING_JOBS, "Integer", config.tuning.max_parallel_jobs),
    ]


def _decimal(value: float) -> str:
    """A float as the shortest decimal text (0.05, not 5e-02), stable across runs."""
    return repr(float(value))
