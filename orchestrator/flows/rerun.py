"""Running part of the pipeline again, written once for every backend (docs/rerunning.md).

- :func:`retry`: ``executions retry``: the backend continues a Failed or Stopped execution
  (locally also Crashed: its runner was killed) under the same id; the steps that succeeded in
  it are not run again (SageMaker's RetryPipelineExecution; the local runner the same way).
- :func:`check_selection`, :func:`check_reference`, :func:`start_selected`: ``run
  --from-execution ID --steps A,B``: a new execution that runs only the selected steps; the
  steps they depend on take their outputs from the reference execution (SageMaker's
  SelectiveExecutionConfig). Everything is checked before anything changes, with SageMaker's
  rules: the steps exist, every step on a path between two selected steps is selected, the
  reference is an execution of the same pipeline that ended Succeeded or Failed, and the steps
  the selection needs succeeded in it. Each refusal is a UserError (exit 2) naming the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from orchestrator.backends.base import Backend, ExecutionSummary, PipelineRunner
from orchestrator.backends.polling import PollSettings
from orchestrator.errors import UserError
from orchestrator.flows import pipeline
from orchestrator.pipeline.step_graph import flatten_steps
from orchestrator.settings.environment import EnvironmentConfig

# SageMaker: "The execution status of the pipeline can be either Failed or Success"
# (SelectiveExecutionConfig.SourcePipelineExecutionArn); locally a Crashed run is a failed one.
REFERENCE_STATUSES = ("Succeeded", "Failed", "Crashed")


def retry(
    backend: Backend, execution_id: str, poll: PollSettings, progress: Callable[[str], None]
) -> tuple[ExecutionSummary, int]:
    """Retry the execution (``latest``: the newest) and wait for it; (the ended execution, exit
    code 0 Succeeded, 1 Failed or Stopped). UserError (exit 2) when it is unknown; the backend
    refuses one still running or one that Succeeded (exit 2)."""
    target = pipeline.find_execution(backend, execution_id)
    progress(f"retrying execution {target.id} ({target.status})")
    retried = backend.pipelines.retry(target.id)
    return pipeline.wait(backend, retried, poll, progress)


@dataclass(frozen=True)
class Selection:
    """``--steps`` checked against the definition: the steps to run, in the definition's
    order, and the unselected steps they depend on (their outputs come from the reference)."""

    steps: tuple[str, ...]
    reused: tuple[str, ...]


def parse_steps(text: str | None, from_execution: str | None) -> tuple[str, ...]:
    """``--steps A,B`` as names; refused without ``--from-execution`` or when empty, and
    ``--from-execution`` without ``--steps``: checked before anything is read or changed."""
    if text is None:
        if from_execution is not None:
            raise UserError(
                "--from-execution needs --steps: name the steps to run again, e.g. "
                "--steps Evaluate,QualityGate,Register (the others reuse that execution's outputs)"
            )
        return ()
    steps = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not steps:
        raise UserError("--steps is empty; name the steps to run, e.g. --steps Evaluate,Register")
    if from_execution is None:
        raise UserError(
            "--steps needs --from-execution ID: the steps not selected take their outputs from "
            "that execution (`orchestrator executions list` shows the ids; `latest` works)"
        )
    return steps


def check_selection(document: Mapping[str, Any], selected: Sequence[str]) -> Selection:
    """The selection, or UserError for an unknown step or a gap between two selected ones
    (SelectiveExecutionConfig.SelectedSteps: "All step(s) in all path(s) between two selected
    steps should be included")."""
    infos = flatten_steps(document)
    order = [info.name for info in infos]
    unknown = [s for s in selected if s not in order]
    if unknown:
        raise UserError(
            f"--steps names {', '.join(unknown)}, which the pipeline does not have; its steps "
            f"are {', '.join(order)}"
        )
    needs = {info.name: info.upstream() for info in infos}
    chosen = set(selected)
    before = _closure(chosen, needs)  # everything a selected step depends on
    after = _closure(chosen, _reverse(needs))  # everything depending on a selected step
    gaps = [name for name in order if name in before and name in after and name not in chosen]
    if gaps:
        raise UserError(
            f"--steps must include every step between two selected ones: {', '.join(gaps)} "
            f"lies between them; add it (--steps {','.join(_ordered(chosen | set(gaps), order))})"
        )
    reused = tuple(name for name in order if name in before and name not in chosen)
    return Selection(_ordered(chosen, order), reused)


def check_reference(backend: Backend, execution_id: str, selection: Selection) -> ExecutionSummary:
    """The reference execution, or UserError when it is unknown, of another pipeline, still
    running or Stopped, or lacks the outputs of a step the selection reuses."""
    reference = pipeline.find_execution(backend, execution_id)
    name = backend.outputs.pipeline_name
    if reference.pipeline != name:
        raise UserError(
            f"execution {reference.id} is an execution of {reference.pipeline}, not of {name}; "
            f"the reference must be an execution of {name} (`orchestrator executions list`)"
        )
    if reference.status not in REFERENCE_STATUSES:
        raise UserError(
            f"execution {reference.id} is {reference.status}; a reference execution must have "
            "ended Succeeded or Failed: wait for it to end, or choose another"
        )
    lacking = []
    for step in selection.reused:
        found = reference.step(step)
        if found is None or found.status != "Succeeded":
            lacking.append(f"{step} ({found.status if found else 'did not run'} there)")
    if lacking:
        raise UserError(
            f"execution {reference.id} lacks the outputs of {', '.join(lacking)}, which the "
            "selected steps need; choose a reference in which they succeeded, or add them to "
            "--steps"
        )
    return reference


def start_selected(
    backend: Backend,
    config: EnvironmentConfig,
    overrides: Mapping[str, Any],
    reference: ExecutionSummary,
    selection: Selection,
) -> str:
    """Start the selective run with the parameters ``pipeline.start`` gives a whole run (the
    environment's threshold, the data's version), through that very function: it is handed the
    backend with a runner whose ``start`` is the selective one."""
    selective = _SelectiveStart(backend.pipelines, reference.id, selection.steps)
    return pipeline.start(
        replace(backend, pipelines=cast(PipelineRunner, selective)), config, overrides
    )


class _SelectiveStart:
    """``backend.pipelines`` with ``start`` replaced by ``start_selected``."""

    def __init__(self, runner: PipelineRunner, source: str, steps: Sequence[str]) -> None:
        self._runner, self._source, self._steps = runner, source, steps

    def start(
        self, pipeline_name: str, overrides: Mapping[str, Any], *, description: str = ""
    ) -> str:
        return self._runner.start_selected(pipeline_name, overrides, self._source, self._steps)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)


def _closure(start: set[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    found: set[str] = set()
    pending = [n for name in start for n in edges.get(name, ())]
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(edges.get(name, ()))
    return found


def _reverse(needs: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    reverse: dict[str, set[str]] = {}
    for name, upstream in needs.items():
        for before in upstream:
            reverse.setdefault(before, set()).add(name)
    return reverse


def _ordered(names: set[str], order: list[str]) -> tuple[str, ...]:
    return tuple(name for name in order if name in names)
