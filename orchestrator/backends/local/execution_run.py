"""One execution of a definition by the local runner: steps in dependency order, each resolved,
reused from the cache or executed, recorded, and reported as progress events.

A step whose run fails with a transient failure (a :class:`~.jobs.JobKilled` job process, which
is SageMaker.JOB_INTERNAL_ERROR) runs again as its RetryPolicies say
(:func:`orchestrator.pipeline.retry.retry_delay`: the first policy naming the type, MaxAttempts
retries, IntervalSeconds x BackoffRate^n between them); every other failure ends the step at
once. The step record counts the runs (``attempts``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.backends.local.cache import (
    cache_key,
    cacheable,
    find_cached_run,
    parse_expire_after,
)
from orchestrator.backends.local.errors import DefinitionError, StepFailed
from orchestrator.backends.local.executions import Execution, StepRecord
from orchestrator.backends.local.graph import PlannedStep
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.progress import ProgressEvent
from orchestrator.backends.local.resolve import ResolutionContext, Resolver
from orchestrator.backends.local.steps import StepContext
from orchestrator.backends.local.tuning import TrialResult
from orchestrator.pipeline.retry import RETRY_POLICIES, retry_delay

if TYPE_CHECKING:
    from orchestrator.backends.local.runner import LocalRunner


class ExecutionRun:
    """The state of one ``start`` call: resolved properties, condition outcomes, the record."""

    def __init__(
        self,
        runner: LocalRunner,
        execution: Execution,
        document: Mapping[str, Any],
        planned: list[PlannedStep],
        pipeline_arn: str,
    ) -> None:
        self.runner = runner
        self.execution = execution
        self.planned = planned
        self.succeeded: set[str] = set()
        self.taken: dict[str, str] = {}  # branch each step with branches took
        self.context = ResolutionContext(
            parameters=execution.parameters,
            execution={
                "PipelineExecutionId": execution.execution_id,
                "PipelineExecutionArn": execution.execution_arn,
                "PipelineName": execution.pipeline_name,
                "PipelineArn": pipeline_arn,
                "StartDateTime": execution.start_time.isoformat(),
            },
            property_files={s.name: list(s.definition.get("PropertyFiles") or []) for s in planned},
            read_json=lambda uri: json.loads(runner.store.read_bytes(uri)),
        )
        self.resolver = Resolver(self.context)
        self.work_root = runner.state_root / "work" / execution.execution_id
        # A retried execution's succeeded steps and a selective run's reused ones are already
        # in the record: accepted as they are, never run again (``rerun.py``).
        by_name = {s.name: s for s in planned}
        for record in execution.steps:
            if record.status == "Succeeded" and record.name in by_name:
                self._accept(by_name[record.name], record)

    def run(self) -> Execution:
        runner, execution = self.runner, self.execution
        runner._emit(
            ProgressEvent(
                "execution_started", execution.execution_id, message=execution.pipeline_name
            )
        )
        try:
            selected = self.execution.selected_steps
            for step in self.planned:
                if step.name in self.succeeded or (selected and step.name not in selected):
                    continue  # kept or reused (see __init__), or not selected
                if not self._chosen(step):
                    continue
                if not self._run_step(step):
                    break
            else:
                execution.status = "Succeeded"
        except BaseException as exc:  # record why before the error leaves the runner
            if execution.status == "Executing":
                execution.status = "Stopped" if isinstance(exc, KeyboardInterrupt) else "Failed"
                execution.failure_reason = execution.failure_reason or (
                    "stopped by the user" if isinstance(exc, KeyboardInterrupt) else str(exc)
                )
            self._finish()
            if isinstance(exc, DefinitionError):
                exc.execution_id = execution.execution_id
            raise
        self._finish()
        return execution

    def _finish(self) -> None:
        execution = self.execution
        execution.end_time = datetime.now(UTC)
        self.runner.executions.save(execution)
        if execution.status == "Succeeded":
            shutil.rmtree(self.work_root, ignore_errors=True)
        self.runner._emit(
            ProgressEvent(
                "execution_finished",
                execution.execution_id,
                status=execution.status,
                message=execution.failure_reason or "",
            )
        )

    def _chosen(self, step: PlannedStep) -> bool:
        """Run only if every upstream step succeeded and, inside a branch, the branch was taken."""
        if any(name not in self.succeeded for name in step.depends_on):
            return False
        return step.gate is None or self.taken.get(step.gate.condition) == step.gate.branch

    def _run_step(self, step: PlannedStep) -> bool:
        """Run (or reuse) one step; False when it failed and the execution must stop."""
        runner, execution = self.runner, self.execution
        record = StepRecord(name=step.name, type=step.type)
        execution.steps.append(record)
        runner.executions.save(execution)
        runner._emit(ProgressEvent("step_started", execution.execution_id, step.name, step.type))
        try:
            arguments = self._resolve_arguments(step)
            if cacheable(step.type):
                record.cache_key = cache_key(step.type, arguments)
                if self._reuse_cached(step, record):
                    return True
            outcome = self._execute(step, arguments, record)
        except StepFailed as failure:
            self._fail(step, record, failure.reason)
            return False
        except DefinitionError as error:
            self._fail(step, record, str(error))
            raise
        except Exception as error:  # a runner bug or an OS problem: record it, then surface it
            self._fail(step, record, f"internal error in the local runner: {error!r}")
            raise
        record.properties = outcome.properties
        record.artifacts = outcome.artifacts
        record.log_files = self._relative_logs(step, outcome)
        record.status = "Succeeded"
        record.end_time = datetime.now(UTC)
        self._accept(step, record)
        shutil.rmtree(self.work_root / step.name, ignore_errors=True)
        runner.executions.save(execution)
        runner._emit(
            ProgressEvent(
                "step_succeeded",
                execution.execution_id,
                step.name,
                step.type,
                message=self._describe_outcome(step, record),
            )
        )
        return True

    def _resolve_arguments(self, step: PlannedStep) -> dict[str, Any]:
        # Branch steps are resolved when (and if) they run.
        resolved = self.resolver.resolve(step.info.own_arguments, step.name)
        return resolved if isinstance(resolved, dict) else {}

    def _reuse_cached(self, step: PlannedStep, record: StepRecord) -> bool:
        config = step.definition.get("CacheConfig") or {}
        if not config.get("Enabled") or record.cache_key is None:
            return False
        store = self.runner.store
        hit = find_cached_run(
            self.runner.executions.list(self.execution.pipeline_name),
            pipeline_name=self.execution.pipeline_name,
            step_name=step.name,
            key=record.cache_key,
            expire_after=parse_expire_after(config.get("ExpireAfter"), step.name),
            now=datetime.now(UTC),
            artifacts_exist=lambda uris: all(store.exists(u) for u in uris),
            exclude_execution=self.execution.execution_id,
        )
        if hit is None:
            return False
        source_execution, source = hit
        record.properties = source.properties
        record.artifacts = source.artifacts
        record.job_name = source.job_name
        record.cache_hit_source = source_execution.execution_id
        record.status = "Succeeded"
        record.end_time = datetime.now(UTC)
        self._accept(step, record)
        self.runner.executions.save(self.execution)
        self.runner._emit(
            ProgressEvent(
                "step_cached",
                self.execution.execution_id,
                step.name,
                step.type,
                cache_source=source_execution.execution_id,
                message=f"reused the run of execution {source_execution.execution_id}",
            )
        )
        return True

    def _execute(
        self, step: PlannedStep, arguments: dict[str, Any], record: StepRecord
    ) -> StepOutcome:
        """Run the step, again after each transient failure its RetryPolicies retry."""
        policies = step.definition.get(RETRY_POLICIES)
        while True:
            record.attempts += 1
            try:
                return self._attempt(step, arguments, record)
            except StepFailed as failure:
                kind = getattr(failure, "exception_type", None)
                minutes = (datetime.now(UTC) - record.start_time).total_seconds() / 60
                delay = retry_delay(policies, kind, record.attempts - 1, minutes) if kind else None
                if delay is None:
                    raise _final_failure(failure, kind, record.attempts) from None
                self._note_retry(step, record, failure.reason, delay)
                self.runner.sleep(delay)

    def _note_retry(self, step: PlannedStep, record: StepRecord, reason: str, delay: float) -> None:
        """Say in the step's log, and in the record, that attempt N failed and N+1 follows."""
        log = self.runner.executions.log_path(self.execution.execution_id, step.name)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(
                f"[local runner] attempt {record.attempts} failed: {reason}; retrying in "
                f"{delay:g}s as the step's RetryPolicies allow\n"
            )
        self.runner.executions.save(self.execution)

    def _attempt(
        self, step: PlannedStep, arguments: dict[str, Any], record: StepRecord
    ) -> StepOutcome:
        execution = self.execution
        work_dir = self.work_root / step.name
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(parents=True)
        context = StepContext(
            execution_id=execution.execution_id,
            store=self.runner.store,
            registry=self.runner.registry,
            work_dir=work_dir,
            log_path=lambda name: self.runner.executions.log_path(execution.execution_id, name),
            train_command=self.runner.train_command,
            seed=execution.seed,
            cores=self.runner.cores,
            on_trial=lambda trial, total: self._trial_finished(step, record, trial, total),
        )
        if step.executor.job_name is not None:
            record.job_name = step.executor.job_name(context, step.name)
        self.runner.executions.save(execution)
        return step.executor.run(step.name, arguments, context)

    def _trial_finished(
        self, step: PlannedStep, record: StepRecord, trial: TrialResult, total: int
    ) -> None:
        done = record.properties.setdefault("TrialsFinished", [])
        done.append(
            {
                "TrainingJobName": trial.job_name,
                "TunedHyperParameters": trial.tuned,
                "Objective": trial.objective,
                "FailureReason": trial.failure_reason,
            }
        )
        self.runner.executions.save(self.execution)
        self.runner._emit(
            ProgressEvent(
                "trial_finished",
                self.execution.execution_id,
                step.name,
                step.type,
                trial=len(done),
                trials=total,
                objective=trial.objective,
                message=trial.failure_reason or trial.job_name,
            )
        )

    def _accept(self, step: PlannedStep, record: StepRecord) -> None:
        self.succeeded.add(step.name)
        self.context.properties[step.name] = record.properties
        if step.executor.taken_branch is not None:
            self.taken[step.name] = step.executor.taken_branch(record.properties)

    def _fail(self, step: PlannedStep, record: StepRecord, reason: str) -> None:
        record.status = "Failed"
        record.failure_reason = reason
        record.end_time = datetime.now(UTC)
        record.log_files = self._relative_logs(step, None)
        self.execution.status = "Failed"
        self.execution.failure_reason = (
            reason
            if step.executor.reason_is_the_executions
            else f"step {step.name!r} failed: {reason}"
        )
        self.runner.executions.save(self.execution)
        self.runner._emit(
            ProgressEvent(
                "step_failed", self.execution.execution_id, step.name, step.type, message=reason
            )
        )

    def _relative_logs(self, step: PlannedStep, outcome: StepOutcome | None) -> list[str]:
        folder = self.runner.executions.directory(self.execution.execution_id)
        candidates = [Path(p) for p in (outcome.log_files if outcome else [])]
        candidates.append(self.runner.executions.log_path(self.execution.execution_id, step.name))
        candidates += sorted((folder / "logs").glob(f"{step.name}.trial-*.log"))
        seen: list[str] = []
        for path in candidates:
            if path.is_file():
                relative = str(path.relative_to(folder))
                if relative not in seen:
                    seen.append(relative)
        return seen

    @staticmethod
    def _describe_outcome(step: PlannedStep, record: StepRecord) -> str:
        if step.executor.summary is not None:
            return step.executor.summary(record.properties)
        return record.job_name or ""


def _final_failure(failure: StepFailed, kind: str | None, attempts: int) -> StepFailed:
    """The step's failure, naming its attempts when it ran more than once."""
    if attempts == 1:
        return failure
    if kind is None:  # a failure no policy retries, after earlier retried ones
        return StepFailed(
            f"{failure.reason} (attempt {attempts}, after {attempts - 1} retried transient "
            "failures)"
        )
    return StepFailed(
        f"{failure.reason}; failed on all {attempts} attempts ({kind} retried {attempts - 1} "
        "times, as many as the step's RetryPolicies allow)"
    )
