"""Training steps run as one local training job (:mod:`orchestrator.backends.local.training`)."""

from __future__ import annotations

from typing import Any

from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.steps import (
    ARN_PREFIX,
    StepContext,
    StepExecutor,
    register_executor,
)
from orchestrator.backends.local.training import TrainingRequest, run_training_job
from orchestrator.pipeline.step_types.training import TRAINING


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    name = ctx.job_name(step)
    hyperparameters = {str(k): str(v) for k, v in (arguments.get("HyperParameters") or {}).items()}
    request = TrainingRequest(
        step,
        name,
        f"{ARN_PREFIX}training-job/{name.lower()}",
        hyperparameters,
        arguments,
        ctx.cores,
    )
    properties = run_training_job(
        request,
        store=ctx.store,
        opt_ml_root=ctx.work_dir,
        log_path=ctx.log_path(step),
        train_command=ctx.training_command(),
    )
    return StepOutcome(properties, [properties["ModelArtifacts"]["S3ModelArtifacts"]])


EXECUTOR = register_executor(TRAINING.name, StepExecutor(run, job_name=StepContext.job_name))
