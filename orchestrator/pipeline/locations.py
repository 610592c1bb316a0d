"""Where the pipeline's jobs write in S3: one deterministic layout under the artifacts bucket.

Processing outputs go to ``s3://<artifacts>/<pipeline>/<PipelineExecutionId>/<Step>/output/<name>``
(the SDK's layout), so executions never overwrite each other and a cached step's outputs stay
where later steps find them (they are read through property references, never rebuilt).

Training output goes to the execution-independent ``s3://<artifacts>/<pipeline>/Tune/models``:
SageMaker nests each training job's model under its unique job name, and the best model's URI is
rebuilt from that prefix plus the job name. Were the prefix to contain the execution id, a Tune
step served from the cache would point at the current execution's (empty) prefix.
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names
from orchestrator.settings.stack_outputs import StackOutputs


def pipeline_name(config_name: str | None, outputs: StackOutputs) -> str:
    return config_name or outputs.pipeline_name


def step_output_uri(
    outputs: StackOutputs, pipeline: str, step: str, output_name: str
) -> dict[str, Any]:
    return ex.s3_join(
        outputs.artifacts_bucket,
        pipeline,
        ex.execution("PipelineExecutionId"),
        step,
        "output",
        output_name,
    )


def tuning_output_path(outputs: StackOutputs, pipeline: str) -> str:
    return f"s3://{outputs.artifacts_bucket}/{pipeline}/{names.TUNE}/models"


def best_model_uri(outputs: StackOutputs, pipeline: str) -> dict[str, Any]:
    """``<tuning output path>/<best training job>/output/model.tar.gz`` as SageMaker writes it."""
    return ex.s3_join(
        outputs.artifacts_bucket,
        pipeline,
        names.TUNE,
        "models",
        ex.best_training_job_name(names.TUNE),
        names.MODEL_ARTIFACT_SUFFIX,
    )


def evaluation_report_uri() -> dict[str, Any]:
    """The Evaluate step's evaluation.json, read from its (possibly cached) output location."""
    return ex.join(
        [ex.processing_output_uri(names.EVALUATE, names.EVALUATION_OUTPUT), names.EVALUATION_FILE],
        on="/",
    )


def evaluation_file_uri(file_name: str) -> dict[str, Any]:
    """A file the Evaluate step wrote beside evaluation.json (the drift baseline's
    statistics.json and constraints.json)."""
    return ex.join(
        [ex.processing_output_uri(names.EVALUATE, names.EVALUATION_OUTPUT), file_name], on="/"
    )
