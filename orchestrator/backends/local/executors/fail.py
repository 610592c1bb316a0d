"""Fail steps: the execution fails with the step's ErrorMessage, as on SageMaker."""

from __future__ import annotations

from typing import Any

from orchestrator.backends.local.errors import StepFailed
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.steps import StepContext, StepExecutor, register_executor
from orchestrator.pipeline.step_types.fail import FAIL


def run(step: str, arguments: dict[str, Any], ctx: StepContext) -> StepOutcome:
    message = arguments.get("ErrorMessage")
    raise StepFailed(str(message) if message not in (None, "") else f"Fail step {step!r} reached")


EXECUTOR = register_executor(FAIL.name, StepExecutor(run, reason_is_the_executions=True))
