"""Tuning steps run as a local search over training-job trials
(:mod:`orchestrator.backends.local.tuning`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.steps import (
    ARN_PREFIX,
    StepContext,
    StepExecutor,
    register_executor,
)
from orchestrator.backends.local.tuning import run_tuning
from orchestrator.pipeline.step_types.tuning import TUNING


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    return run_tuning(
        step,
        arguments,
        store=ctx.store,
        work_root=ctx.work_dir,
        log_path=ctx.log_path,
        tuning_job_name=ctx.tuning_job_name(step),
        arn_prefix=ARN_PREFIX,
        train_command=ctx.training_command(),
        seed=ctx.seed,
        cores=ctx.cores,
        on_trial=ctx.on_trial,
    )


def summary(properties: Mapping[str, Any]) -> str:
    """The best trial and its objective."""
    best = properties.get("BestTrainingJob") or {}
    metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    name, value = metric.get("MetricName"), metric.get("Value")
    return f"best {best.get('TrainingJobName')} {name}={value}"


EXECUTOR = register_executor(
    TUNING.name, StepExecutor(run, job_name=StepContext.tuning_job_name, summary=summary)
)
