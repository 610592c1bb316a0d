"""Running part of a pipeline again on this machine, with SageMaker's semantics.

- :func:`retry_execution` is RetryPipelineExecution: the *same* execution continues. Its
  record keeps the steps that succeeded (``kept_on_retry``; their properties and artifacts stay
  what the steps published), drops the failed, stopped or crashed step and everything after it,
  and the runner runs those again from the definition the execution ran (``definition.json``),
  with its parameters and seed. A Crashed execution (its runner was killed: the record still
  says Executing, ``executions.py`` tells it from a live one by the runner's PID and start
  time) is retried like a Failed one, after the dead runner's orphaned job processes are
  stopped and its scratch space removed (``runner._clean_up_after_dead_runs``, ``orphans.py``).
- :func:`start_selected` is StartPipelineExecution with a SelectiveExecutionConfig: a *new*
  execution that runs only the selected steps; the steps they depend on are not run but copied
  from the reference execution (``reused_from``), and unselected steps downstream do not run.

AWS: API reference, RetryPipelineExecution and SelectiveExecutionConfig; developer guide,
"Selective execution of pipeline steps" (pipelines-selective-ex.html). docs/rerunning.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orchestrator.backends.local.errors import RunnerInputError
from orchestrator.backends.local.execution_run import ExecutionRun
from orchestrator.backends.local.executions import Execution, StepRecord, process_start_marker
from orchestrator.backends.local.graph import PlannedStep, plan_steps

if TYPE_CHECKING:
    from orchestrator.backends.local.runner import LocalRunner

RETRYABLE = ("Failed", "Stopped", "Crashed")


def retry_execution(runner: LocalRunner, execution_id: str) -> Execution:
    """Continue the execution under its own id; UnknownExecutionError for an unknown id,
    RunnerInputError for one still running or one that Succeeded."""
    from orchestrator.backends.local.runner import pipeline_arn

    execution = runner.executions.load(execution_id)
    refuse_retry(execution)
    document = json.loads(
        (runner.executions.directory(execution_id) / "definition.json").read_text()
    )
    planned = plan_steps(document)
    # Stops the dead runner's jobs (this execution's included) and removes their scratch space.
    runner._clean_up_after_dead_runs()
    kept = [s for s in execution.steps if s.status == "Succeeded"]
    for record in kept:
        record.kept_on_retry = True
    execution.steps = kept
    execution.status = "Executing"
    execution.failure_reason = None
    execution.end_time = None
    execution.retries += 1
    execution.runner_pid = os.getpid()
    execution.runner_started = process_start_marker(os.getpid())
    runner.executions.save(execution)
    run = ExecutionRun(runner, execution, document, planned, pipeline_arn(execution.pipeline_name))
    return run.run()


def refuse_retry(execution: Execution) -> None:
    """RunnerInputError unless the execution can be retried (Failed, Stopped or Crashed)."""
    name = execution.execution_id
    if execution.status == "Executing":
        raise RunnerInputError(
            f"execution {name} is still running (runner pid {execution.runner_pid}); wait for "
            f"it to end (`orchestrator executions describe {name}`) and retry it only if it "
            "fails, or stop it (Ctrl-C in its terminal) first"
        )
    if execution.status not in RETRYABLE:
        raise RunnerInputError(
            f"execution {name} {execution.status}: there is nothing to retry. To run some of "
            f"its steps again, start a selective run: `orchestrator run --from-execution {name} "
            "--steps STEP[,STEP...]`"
        )


def start_selected(
    runner: LocalRunner,
    definition: str | bytes | Mapping[str, Any],
    parameters: Mapping[str, Any] | None,
    pipeline_name: str,
    source_id: str,
    steps: Sequence[str],
) -> Execution:
    """A new execution of ``definition`` running only ``steps``; the steps they need are
    copied from execution ``source_id``. RunnerInputError when a step is unknown or the
    reference lacks a needed step's outputs (not Succeeded there, or its artifacts are gone)."""
    from orchestrator.backends.local.runner import pipeline_arn

    document, planned, values = runner.prepare(definition, parameters)
    source = runner.executions.load(source_id)
    known = [s.name for s in planned]
    unknown = [s for s in steps if s not in known]
    if unknown:
        raise RunnerInputError(
            f"--steps names {', '.join(unknown)}, not steps of {pipeline_name}; its steps are "
            f"{', '.join(known)}"
        )
    needed = [s for s in planned if s.name in upstream_of(steps, planned)]
    copies = [_reused(runner, source, step) for step in needed]
    execution = runner.new_execution(document, pipeline_name, values, selected_steps=list(steps))
    execution.steps = copies
    runner.executions.save(execution)
    return ExecutionRun(runner, execution, document, planned, pipeline_arn(pipeline_name)).run()


def upstream_of(selected: Iterable[str], planned: list[PlannedStep]) -> set[str]:
    """The steps the selected ones depend on, directly or not, that are not selected."""
    needs = {s.name: s.depends_on for s in planned}
    chosen = set(selected)
    found: set[str] = set()
    pending = [n for name in chosen for n in needs.get(name, ())]
    while pending:
        name = pending.pop()
        if name not in found and name not in chosen:
            found.add(name)
            pending.extend(needs.get(name, ()))
    return found


def _reused(runner: LocalRunner, source: Execution, step: PlannedStep) -> StepRecord:
    """The reference execution's record of ``step``, as this execution's (``reused_from``)."""
    record = source.step(step.name)
    fix = (
        f"choose a reference execution in which {step.name} succeeded, or add {step.name} to "
        "--steps"
    )
    if record is None or record.status != "Succeeded":
        state = record.status if record else "did not run"
        raise RunnerInputError(
            f"execution {source.execution_id} lacks the outputs of {step.name} ({state} there), "
            f"which the selected steps need; {fix}"
        )
    missing = [uri for uri in record.artifacts if not runner.store.exists(uri)]
    if missing:
        raise RunnerInputError(
            f"the outputs of {step.name} in execution {source.execution_id} are gone "
            f"({', '.join(missing)}); {fix}"
        )
    return record.model_copy(
        update={"reused_from": source.execution_id, "kept_on_retry": False, "attempts": 0},
        deep=True,
    )
