"""What a local step executor is, and the table executors register in by step type.

Each step type the local runner runs has one module in ``backends/local/executors/`` that
registers a :class:`StepExecutor` here under the pipeline registry's type name
(``orchestrator.pipeline.step_types``), so the scheduler never branches on a type's name. Import
``orchestrator.backends.local.executors`` (not this module) to look executors up: importing the
package is what registers them all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.jobs import resolve_program
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.tuning import TrialCallback
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


StepFunction = Callable[[str, dict[str, Any], StepContext], StepOutcome]
"""Runs one step: its name, its *resolved* Arguments and the context; returns its outcome or
raises ``StepFailed`` with the reason SageMaker would show."""


@dataclass(frozen=True)
class StepExecutor:
    """How the local runner runs the steps of one type."""

    run: StepFunction
    # The name of the job the step starts, recorded before it runs (None: it starts no job).
    job_name: Callable[[StepContext, str], str] | None = None
    # The progress line once the step succeeded, from its properties (None: its job name).
    summary: Callable[[Mapping[str, Any]], str] | None = None
    # For a type with branches: the branch its properties say runs.
    taken_branch: Callable[[Mapping[str, Any]], str] | None = None
    # Its failure reason is the execution's as is (a Fail step's ErrorMessage), not "step X
    # failed: ...".
    reason_is_the_executions: bool = False
    # It calls the model registry, so a runner without one refuses the definition up front.
    needs_registry: bool = False


_EXECUTORS: dict[str, StepExecutor] = {}


def register_executor(step_type: str, executor: StepExecutor) -> StepExecutor:
    """Run steps of ``step_type`` (a type of the pipeline's step-type registry) locally."""
    if step_types.get(step_type) is None:
        raise ValueError(
            f"{step_type!r} is not a registered pipeline step type "
            f"({', '.join(step_types.names())}); register the type in orchestrator.pipeline first"
        )
    if step_type in _EXECUTORS:
        raise ValueError(f"a local executor for {step_type!r} is registered twice")
    _EXECUTORS[step_type] = executor
    return executor


def registered_executors() -> Mapping[str, StepExecutor]:
    """The executors registered so far, by step type (read-only)."""
    return MappingProxyType(_EXECUTORS)
