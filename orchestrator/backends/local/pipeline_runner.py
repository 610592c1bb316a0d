"""The :class:`~orchestrator.backends.base.PipelineRunner` of the local backend.

``upsert`` keeps each pipeline's definition JSON in the environment's state folder, as
CreatePipeline/UpdatePipeline keep it on SageMaker, and reports the same diff; ``start`` runs
the stored definition with the local runner. The local runner works synchronously, so an
execution has ended by the time ``start`` returns and ``wait`` only reads it back; so have
``retry`` and ``start_selected`` (``rerun.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.backends.base import ExecutionSummary, StepSummary, UpsertResult, step_seconds
from orchestrator.backends.local.errors import RunnerInputError
from orchestrator.backends.local.executions import Execution
from orchestrator.backends.local.runner import LocalRunner
from orchestrator.backends.local.steps import ARN_PREFIX
from orchestrator.pipeline.diff import definition_diff

if TYPE_CHECKING:
    from orchestrator.backends.polling import PollSettings
    from orchestrator.pipeline import PipelineDefinition


class LocalPipelineRunner:
    """Pipelines as files under ``pipelines_dir``, executions run by :class:`LocalRunner`."""

    def __init__(self, runner: LocalRunner, pipelines_dir: Path) -> None:
        self.runner = runner
        self.pipelines_dir = pipelines_dir

    def _definition_path(self, pipeline_name: str) -> Path:
        return self.pipelines_dir / f"{pipeline_name}.json"

    def upsert(
        self, definition: PipelineDefinition, *, description: str, tags: Mapping[str, str]
    ) -> UpsertResult:
        name = definition.pipeline_name
        path = self._definition_path(name)
        arn = f"{ARN_PREFIX}pipeline/{name.lower()}"
        text = definition.to_json()
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return UpsertResult(name, arn, "created")
        diff = definition_diff(path.read_text(), text, name)
        if not diff:
            return UpsertResult(name, arn, "unchanged")
        path.write_text(text)
        return UpsertResult(name, arn, "updated", diff)

    def stored_definition(self, pipeline_name: str) -> str | None:
        path = self._definition_path(pipeline_name)
        return path.read_text() if path.is_file() else None

    def start(
        self, pipeline_name: str, overrides: Mapping[str, Any], *, description: str = ""
    ) -> str:
        execution = self.runner.start(self._stored(pipeline_name), dict(overrides), pipeline_name)
        return execution.execution_id

    def retry(self, execution_id: str) -> str:
        """The runner continues the execution under its id (``rerun.retry_execution``)."""
        return self.runner.retry(execution_id).execution_id

    def start_selected(
        self, pipeline: str, overrides: Mapping[str, Any], source: str, steps: Sequence[str]
    ) -> str:
        """A new execution of the stored definition running only ``steps``, the steps they
        need copied from execution ``source`` (``rerun.start_selected``)."""
        definition = self._stored(pipeline)
        execution = self.runner.start_selected(
            definition, dict(overrides), pipeline, source=source, steps=steps
        )
        return execution.execution_id

    def _stored(self, pipeline_name: str) -> str:
        path = self._definition_path(pipeline_name)
        if not path.is_file():
            raise RunnerInputError(
                f"pipeline {pipeline_name} does not exist here; create it first "
                "(`orchestrator pipeline upsert`, or `orchestrator run`)"
            )
        return path.read_text()

    def wait(
        self,
        execution_id: str,
        poll: PollSettings,
        progress: Callable[[ExecutionSummary], None] | None = None,
    ) -> ExecutionSummary:
        # Executions run to the end inside ``start`` (whose step events went to the runner's
        # own progress callback), so there is nothing left to wait for or report.
        return self.describe(execution_id)

    def describe(self, execution_id: str) -> ExecutionSummary:
        """The runner's UnknownExecutionError, the protocol's UnknownExecution, for an id that
        has no record."""
        summary = execution_summary(self.runner.describe(execution_id))
        return replace(summary, logs=str(self.runner.log_dir(execution_id)))

    def list_executions(self, pipeline_name: str | None = None) -> list[ExecutionSummary]:
        return [execution_summary(e) for e in self.runner.list_executions(pipeline_name)]


def execution_summary(execution: Execution) -> ExecutionSummary:
    """A local execution record as the protocol's summary."""
    return ExecutionSummary(
        id=execution.execution_id,
        pipeline=execution.pipeline_name,
        status=execution.status,
        failure_reason=execution.failure_reason,
        started=execution.start_time,
        ended=execution.end_time,
        steps=tuple(
            StepSummary(
                name=step.name,
                status=step.status,
                type=step.type,
                cached=step.cache_hit_source is not None,
                cache_source=step.cache_hit_source,
                seconds=step_seconds(step.start_time, step.end_time, step.status),
                failure_reason=step.failure_reason,
                properties=step.properties,
                started=step.start_time,
                ended=step.end_time,
                attempts=step.attempts,
                reused_from=step.reused_from,
                kept_on_retry=step.kept_on_retry,
            )
            for step in execution.steps
        ),
    )
