"""The Evaluate step and its property file: the best model scored on the held-out test split.

``evaluate`` writes ``evaluation.json``, whose model-quality section is the registered package's
ModelMetrics document (docs/architecture.md, "evaluate") and whose ``gate`` block is what the
quality gate reads through the ``EvaluationReport`` property file. The gate's metric is a run-time
choice (the ``GateMetric`` parameter) but a ``JsonGet`` path cannot be a parameter
(sagemaker-python-sdk #4418), so the step passes the chosen metric and threshold to the job as
environment variables and the job writes its verdict under fixed keys (``gate.margin`` and the
Fail message's ``gate.metric``, ``gate.value``, ``gate.bound``). A Float parameter becomes a
string value through a one-value ``Std:Join``, as the SDK's ``PipelineVariable.to_string()``
does.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import locations, names
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.processing import (
    processing_arguments,
    processing_input,
    processing_output,
    processing_step,
)
from orchestrator.settings.stack_outputs import StackOutputs


def evaluation_property_file() -> dict[str, str]:
    return {
        "PropertyFileName": names.EVALUATION_REPORT,
        "OutputName": names.EVALUATION_OUTPUT,
        "FilePath": names.EVALUATION_FILE,
    }


GATE_KEYS = ("margin", "metric", "value", "bound")


def gate_report(key: str) -> dict[str, Any]:
    """One key of evaluation.json's ``gate`` block (a JsonGet on the property file): ``margin``
    (>= 0 exactly when the model passes), ``metric``, ``value``, ``bound``."""
    if key not in GATE_KEYS:
        raise ValueError(f"evaluation.json's gate block has no {key!r}; one of {GATE_KEYS}")
    return ex.json_get(names.EVALUATE, names.EVALUATION_REPORT, f"gate.{key}")


def gate_environment() -> dict[str, Any]:
    """The run's gate, for the Evaluate job (``ml_containers.evaluate.gate``)."""
    return {
        names.GATE_METRIC_ENV: ex.parameter(names.GATE_METRIC),
        names.GATE_THRESHOLD_ENV: ex.as_text(ex.parameter(names.METRIC_THRESHOLD)),
    }


def evaluate_step(
    config: PipelineConfig, outputs: StackOutputs, image_uri: str, pipeline: str
) -> dict[str, Any]:
    inputs = [
        processing_input(
            "model", locations.best_model_uri(outputs, pipeline), names.PROCESSING_INPUT_MODEL
        ),
        processing_input(
            "test",
            ex.processing_output_uri(names.PREPROCESS, "test"),
            names.PROCESSING_INPUT_TEST,
        ),
        # The rows the model learned from: the drift baseline describes them.
        processing_input(
            "train",
            ex.processing_output_uri(names.PREPROCESS, "train"),
            names.PROCESSING_INPUT_TRAIN,
        ),
    ]
    job_outputs = [
        processing_output(
            names.EVALUATION_OUTPUT,
            locations.step_output_uri(outputs, pipeline, names.EVALUATE, names.EVALUATION_OUTPUT),
            names.PROCESSING_EVALUATION,
        )
    ]
    arguments = processing_arguments(
        config,
        outputs,
        image_uri,
        entrypoint=["evaluate"],
        container_arguments=[],
        inputs=inputs,
        job_outputs=job_outputs,
    )
    arguments["Environment"] = gate_environment()
    return processing_step(
        names.EVALUATE, arguments, config, property_files=[evaluation_property_file()]
    )
