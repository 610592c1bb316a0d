"""The local pipeline runner: executes a SageMaker pipeline definition on this machine.

``LocalRunner(store_root, state_root, registry).start(definition, parameters, pipeline_name)``
checks the whole definition first (every reference, step type and parameter), then runs the steps
one at a time in dependency order: each step's Arguments are resolved against the parameters,
execution variables and the properties of the steps before it, a cacheable step whose cache key
matches an earlier successful run is reused instead of run, and the rest go to their type's
executor (:mod:`executors`); a job killed by a signal runs again as the step's RetryPolicies
say (``execution_run.py``). The first failing step fails the execution with its reason, as
in SageMaker; a step in a Condition branch that was not chosen, or downstream of one, is not run.

Everything an execution does is recorded under ``<state_root>/executions/<id>/`` after every
change, and every artifact enters ``<store_root>`` by atomic rename, so a runner killed at any
point leaves a readable record and no half-written artifact; the next ``start`` cleans up after
it (stray staging copies, work directories, orphaned job processes) and reuses its finished steps
through the cache; ``retry`` continues it under its own id instead (:mod:`.rerun`).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import string
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.cache import parse_expire_after
from orchestrator.backends.local.errors import DefinitionError, RunnerInputError
from orchestrator.backends.local.execution_run import ExecutionRun
from orchestrator.backends.local.executions import Execution, ExecutionStore
from orchestrator.backends.local.graph import PlannedStep, plan_steps
from orchestrator.backends.local.orphans import stop_orphaned_jobs
from orchestrator.backends.local.parameters import resolve_parameters
from orchestrator.backends.local.progress import ProgressCallback, ProgressEvent
from orchestrator.backends.local.steps import ARN_PREFIX
from orchestrator.backends.model_registry import ModelRegistry

_ID_ALPHABET = string.ascii_lowercase + string.digits


def available_cores() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LocalRunner:
    """Runs pipeline definitions locally and keeps their execution records.

    ``store_root``: where ``s3://bucket/key`` lives (``<store_root>/bucket/key``).
    ``state_root``: execution records, logs and per-step scratch directories.
    ``registry``: any ``ModelRegistry`` (RegisterModel steps call it).
    ``progress``: called with a :class:`ProgressEvent` per state change; default silent.
    ``train_command``: the training program (default: the ``train`` executable); tests and
    other algorithms can substitute their own, which gets the same SageMaker layout.
    ``cores``: how many cores tuning may use (default: all available).
    ``sleep``: how the runner waits between a step's retry attempts (default ``time.sleep``;
    tests pass one that records the waits instead).
    """

    def __init__(
        self,
        store_root: Path | str,
        state_root: Path | str,
        registry: ModelRegistry | None = None,
        progress: ProgressCallback | None = None,
        *,
        train_command: Sequence[str] | None = None,
        cores: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = ArtifactStore(Path(store_root).resolve())
        self.state_root = Path(state_root).resolve()
        self.executions = ExecutionStore(self.state_root)
        self.registry = registry
        self.progress = progress
        self.train_command = list(train_command) if train_command else None
        self.cores = cores or available_cores()
        self.sleep = sleep

    # -- queries ---------------------------------------------------------------------------
    def list_executions(self, pipeline_name: str | None = None) -> list[Execution]:
        """Every recorded execution, newest first; a dead runner's shows status Crashed."""
        return self.executions.list(pipeline_name)

    def describe(self, execution_id: str) -> Execution:
        """One execution's record; UnknownExecutionError when there is none."""
        return self.executions.load(execution_id)

    def log_dir(self, execution_id: str) -> Path:
        return self.executions.directory(execution_id) / "logs"

    # -- running ---------------------------------------------------------------------------
    def start(
        self,
        definition: str | bytes | Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        pipeline_name: str = "pipeline",
        *,
        seed: int | None = None,
    ) -> Execution:
        """Run the definition to completion and return its execution (Succeeded or Failed).

        Raises RunnerInputError (DefinitionError, ParameterError) when the definition or the
        parameters are unusable; a step that fails is a Failed execution, not an exception.
        """
        document, planned, values = self.prepare(definition, parameters)
        execution = self.new_execution(document, pipeline_name, values, seed)
        return ExecutionRun(self, execution, document, planned, pipeline_arn(pipeline_name)).run()

    def retry(self, execution_id: str) -> Execution:
        """Continue a Failed, Stopped or Crashed execution under its id (:mod:`.rerun`)."""
        from orchestrator.backends.local.rerun import retry_execution

        return retry_execution(self, execution_id)

    def start_selected(
        self,
        definition: str | bytes | Mapping[str, Any],
        parameters: Mapping[str, Any] | None,
        pipeline_name: str,
        *,
        source: str,
        steps: Sequence[str],
    ) -> Execution:
        """Run only ``steps``, the steps they need reused from execution ``source``
        (:mod:`.rerun`)."""
        from orchestrator.backends.local.rerun import start_selected

        return start_selected(self, definition, parameters, pipeline_name, source, steps)

    def prepare(
        self, definition: str | bytes | Mapping[str, Any], parameters: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], list[PlannedStep], dict[str, Any]]:
        """(document, planned steps, parameter values), every check done before anything runs:
        RunnerInputError (DefinitionError, ParameterError) when they are unusable."""
        document = _load_definition(definition)
        planned = plan_steps(document)
        values = resolve_parameters(document, parameters or {})
        for step in planned:
            parse_expire_after(
                (step.definition.get("CacheConfig") or {}).get("ExpireAfter"), step.name
            )
        needing = [s.type for s in planned if s.executor.needs_registry]
        if self.registry is None and needing:
            raise RunnerInputError(
                f"the definition has a {needing[0]} step but the runner has no model registry; "
                "create LocalRunner with registry=..."
            )
        self._clean_up_after_dead_runs()
        return document, planned, values

    def new_execution(
        self,
        document: Mapping[str, Any],
        pipeline_name: str,
        values: dict[str, Any],
        seed: int | None = None,
        *,
        selected_steps: list[str] | None = None,
    ) -> Execution:
        """A new execution's record, saved with the definition it runs."""
        execution_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        execution = Execution(
            execution_id=execution_id,
            execution_arn=f"{pipeline_arn(pipeline_name)}/execution/{execution_id}",
            pipeline_name=pipeline_name,
            parameters=values,
            seed=seed if seed is not None else _seed_from(execution_id),
            selected_steps=selected_steps,
        )
        self.executions.save(execution)
        (self.executions.directory(execution_id) / "definition.json").write_text(
            json.dumps(document, indent=2)
        )
        return execution

    def _clean_up_after_dead_runs(self) -> None:
        """Stop orphaned jobs of crashed runs, delete scratch space nobody uses, and (when no
        other runner is live on this state) roll back half-published artifacts."""
        work_root = self.state_root / "work"
        live = set()
        for execution in self.executions.list():
            if execution.status == "Executing":
                live.add(execution.execution_id)
            elif execution.status == "Crashed":
                stop_orphaned_jobs(work_root / execution.execution_id)
        if work_root.is_dir():
            for folder in work_root.iterdir():
                if folder.name not in live:
                    shutil.rmtree(folder, ignore_errors=True)
        if not live:
            self.store.recover()

    def _emit(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)


def pipeline_arn(pipeline_name: str) -> str:
    return f"{ARN_PREFIX}pipeline/{pipeline_name.lower()}"


def _load_definition(definition: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, Mapping):
        copy: dict[str, Any] = json.loads(json.dumps(definition))  # private, JSON-clean
        return copy
    try:
        document = json.loads(definition)
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"the pipeline definition is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise DefinitionError("the pipeline definition must be a JSON object")
    return document


def _seed_from(execution_id: str) -> int:
    return int(hashlib.sha256(execution_id.encode()).hexdigest()[:8], 16)
