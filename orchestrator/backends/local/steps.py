"""The runner's step table: one function per step type, all with the same signature.

Adding a step type means one entry here (plus its module), nothing in the scheduler. Each
function gets the step's *resolved* Arguments and returns a :class:`StepOutcome`, or raises
:class:`StepFailed` with the reason SageMaker would show.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.conditions import evaluate_all
from orchestrator.backends.local.errors import DefinitionError, StepFailed
from orchestrator.backends.local.jobs import resolve_program
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.processing import run_processing
from orchestrator.backends.local.registration import run_register_model
from orchestrator.backends.local.training import TrainingRequest, run_training_job
from orchestrator.backends.local.tuning import TrialCallback, run_tuning
from orchestrator.backends.model_registry import ModelRegistry
from orchestrator.pipeline import step_types

ARN_PREFIX = "arn:aws:sagemaker:local:000000000000:"


@dataclass
class StepContext:
    """Everything a step function may use besides its arguments."""

    execution_id: str
    store: ArtifactStore
    registry: ModelRegistry | None
    work_dir: Path  # this step's scratch directory (its OPT_ML_ROOT, or the trials' parent)
    log_path: Callable[[str], Path]  # log file for a name (the step, or one trial)
    train_command: Sequence[str] | None
    seed: int
    cores: int
    on_trial: TrialCallback | None = None

    def job_name(self, step: str) -> str:
        """A SageMaker-valid, unique, deterministic name: pipelines-<execution>-<step>-<hash>."""
        token = hashlib.sha256(f"{self.execution_id}/{step}".encode()).hexdigest()[:8]
        cleaned = re.sub(r"[^A-Za-z0-9]+", "-", step).strip("-") or "step"
        room = 63 - len(self.execution_id) - len(token) - len("pipelines---")
        return f"pipelines-{self.execution_id}-{cleaned[: max(room, 1)].strip('-')}-{token}"

    def tuning_job_name(self, step: str) -> str:
        """HyperParameterTuningJobName allows 32 characters (trials append -NNN-xxxxxxxx)."""
        cleaned = re.sub(r"[^A-Za-z0-9]+", "-", step).strip("-") or "tune"
        return f"{self.execution_id}-{cleaned}"[:32].rstrip("-")

    def training_command(self) -> list[str]:
        return list(self.train_command) if self.train_command else [resolve_program("train")]


def processing_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
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


def training_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
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


def tuning_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
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


def condition_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    outcome = evaluate_all(arguments.get("Conditions") or [])
    return StepOutcome(
        {"Outcome": "True" if outcome else "False", "Conditions": arguments.get("Conditions", [])}
    )


def fail_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    message = arguments.get("ErrorMessage")
    raise StepFailed(str(message) if message not in (None, "") else f"Fail step {step!r} reached")


def register_model_step(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    if ctx.registry is None:
        raise DefinitionError(
            f"step {step!r} registers a model but the runner was created without a registry"
        )
    return run_register_model(step, arguments, store=ctx.store, registry=ctx.registry)


StepFunction = Callable[[str, dict[str, Any], StepContext], StepOutcome]
STEP_TABLE: dict[str, StepFunction] = {}


def register_executor(step_type: str, function: StepFunction) -> None:
    """Run steps of ``step_type`` (a type of the pipeline's step-type registry) locally."""
    if step_types.get(step_type) is None:
        raise ValueError(
            f"{step_type!r} is not a registered pipeline step type "
            f"({', '.join(step_types.names())}); register the type in orchestrator.pipeline first"
        )
    if step_type in STEP_TABLE:
        raise ValueError(f"a local executor for {step_type!r} is registered twice")
    STEP_TABLE[step_type] = function


for _type, _function in (
    ("Processing", processing_step),
    ("Training", training_step),
    ("Tuning", tuning_step),
    ("Condition", condition_step),
    ("Fail", fail_step),
    ("RegisterModel", register_model_step),
):
    register_executor(_type, _function)
