"""Processing steps run as local processing jobs (:mod:`orchestrator.backends.local.processing`)."""

from __future__ import annotations

from typing import Any

from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.processing import run_processing
from orchestrator.backends.local.steps import (
    ARN_PREFIX,
    StepContext,
    StepExecutor,
    register_executor,
)
from orchestrator.pipeline.step_types.processing import PROCESSING


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    name = ctx.job_name(step)
    return run_processing(
        step,
        arguments,
        store=ctx.store,
        opt_ml_root=ctx.work_dir,
        log_path=ctx.log_path(step),
        job_name=name,
        job_arn=f"{ARN_PREFIX}processing-job/{name.lower()}",
    )


EXECUTOR = register_executor(PROCESSING.name, StepExecutor(run, job_name=StepContext.job_name))
