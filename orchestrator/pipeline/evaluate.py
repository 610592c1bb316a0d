"""The Evaluate step and its property file: the best model scored on the held-out test split.

``evaluate`` writes ``evaluation.json`` whose ``metrics.<name>.value`` entries are what the
quality gate reads through the ``EvaluationReport`` property file, and whose model-quality section
is the registered package's ModelMetrics document (docs/architecture.md, "evaluate").
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


def gate_metric_path(metric: str) -> str:
    """The JsonGet path of a metric's value in evaluation.json."""
    return f"metrics.{metric}.value"


def gate_metric_value(metric: str) -> dict[str, Any]:
    """The gate metric as the Evaluate step measured it (a JsonGet on the property file)."""
    return ex.json_get(names.EVALUATE, names.EVALUATION_REPORT, gate_metric_path(metric))


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
    return processing_step(
        names.EVALUATE, arguments, config, property_files=[evaluation_property_file()]
    )
