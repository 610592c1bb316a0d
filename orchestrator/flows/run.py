"""``orchestrator run``: the whole job for one environment, written once for every backend.

(infrastructure, on AWS: render + apply, or read an earlier apply's outputs) -> choose and check
the data -> build the definition -> upsert -> start -> wait -> report the registered model ->
where the backend's endpoints live only as long as the command (local): deploy the latest
approved version, invoke it with real test rows and batch-transform the test split. With
``--from-execution``/``--steps`` the start is a selective run (:mod:`.rerun`). Each arrow
is one call into a flow or a protocol; this module only sequences them and collects a summary.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend, ExecutionSummary, Progress
from orchestrator.backends.local.progress import ProgressCallback
from orchestrator.backends.model_registry import ModelPackage, parse_model_package_arn
from orchestrator.backends.polling import PollSettings
from orchestrator.backends.select import StackSource, open_backend
from orchestrator.errors import UserError
from orchestrator.flows import pipeline, rerun
from orchestrator.flows.models import ensure_dataset_group
from orchestrator.flows.smoke import serve_and_score
from orchestrator.pipeline import names
from orchestrator.settings.environment import EnvironmentConfig


@dataclass(frozen=True)
class RunOptions:
    """What the command line adds to the environment file."""

    data: Path | None = None
    schema: Path | None = None
    image: str | None = None  # --image: the image the pipeline runs (None: this commit's)
    overrides: Mapping[str, str] = field(default_factory=dict)
    stack: StackSource = field(default_factory=lambda: StackSource(apply=True))
    poll: PollSettings = field(
        default_factory=lambda: PollSettings(pipeline.DEFAULT_PIPELINE_TIMEOUT_SECONDS)
    )
    # --from-execution/--steps: run only these steps, the rest reused from that execution
    from_execution: str | None = None
    steps: tuple[str, ...] = ()


def run(
    config: EnvironmentConfig,
    options: RunOptions,
    *,
    progress: Progress,
    events: ProgressCallback | None = None,
) -> tuple[dict[str, Any], int]:
    """Run the whole job; (summary, exit code: 0 done, 1 the pipeline or the serving failed)."""
    started = time.monotonic()
    if config.backend == "aws" and options.stack.preflight and not options.stack.apply:
        from orchestrator.preflight.gate import preflight_gate

        preflight_gate(config)  # with apply, the plan is checked before it is applied
    with open_backend(config, options.stack, events=events, progress=progress) as backend:
        summary: dict[str, Any] = {"environment": config.name, "backend": backend.name}
        summary.update(backend.infrastructure)
        execution, dataset = _train(backend, config, options, summary, progress)
        code = 0 if execution.succeeded else 1
        if execution.succeeded:
            package = registered_package(execution, backend)
            summary["model_package"] = package_summary(package) if package else None
            summary["metrics"] = dict(package.metrics) if package else {}
            if backend.serves_after_run:
                code = serve_and_score(
                    backend, config, execution, dataset.schema, summary, progress
                )
    summary["duration_seconds"] = round(time.monotonic() - started, 1)
    return summary, code


def _train(
    backend: Backend,
    config: EnvironmentConfig,
    options: RunOptions,
    summary: dict[str, Any],
    progress: Progress,
) -> tuple[ExecutionSummary, pipeline.Dataset]:
    image = pipeline.image(backend, options.image)  # refused here, before anything changes
    dataset = pipeline.choose_dataset(backend, config, options.data, options.schema)
    if dataset.note:
        progress(dataset.note)
    summary["dataset"] = {"name": dataset.name, "source": dataset.source, "uri": dataset.data_uri}
    selective = _selective(backend, config, options, dataset, image)  # checked before changes
    ensure_dataset_group(backend, config, dataset.name)
    upserted = pipeline.upsert(backend, config, dataset, image)
    progress(f"pipeline {upserted['pipeline']}: {upserted['action']}")
    if upserted["diff"]:
        progress(upserted["diff"].rstrip())
    summary["pipeline"] = upserted
    if selective is None:
        execution_id = pipeline.start(backend, config, options.overrides)
    else:
        reference, selection = selective
        execution_id = rerun.start_selected(
            backend, config, options.overrides, reference, selection
        )
        summary["selective"] = {"from_execution": reference.id, **asdict(selection)}
    progress(f"started execution {execution_id}")
    execution, _ = pipeline.wait(backend, execution_id, options.poll, progress)
    summary["execution"] = execution.to_dict()
    hosts = step_hosts(execution)
    for step in summary["execution"]["steps"]:
        step["hosts"] = hosts.get(step["name"])
    summary["hosts"] = {name: count for name, count in hosts.items() if count is not None}
    summary["best_hyperparameters"] = best_hyperparameters(execution)
    return execution, dataset


def _selective(
    backend: Backend,
    config: EnvironmentConfig,
    options: RunOptions,
    dataset: pipeline.Dataset,
    image: str,
) -> tuple[ExecutionSummary, rerun.Selection] | None:
    """The reference execution and the checked selection of ``--from-execution``/``--steps``
    (:mod:`.rerun`; exit 2 for a bad one), or None for a whole run."""
    if not options.steps:
        return None
    if options.from_execution is None:  # the CLI refuses it first (rerun.parse_steps)
        raise UserError("--steps needs --from-execution ID (the execution whose outputs to reuse)")
    built = pipeline.definition(backend, config, dataset, image)
    selection = rerun.check_selection(built.document, options.steps)
    return rerun.check_reference(backend, options.from_execution, selection), selection


def step_hosts(execution: ExecutionSummary) -> dict[str, int | None]:
    """Instances each job step ran on (a tuning step: each of its training jobs), from the
    step's properties where the backend reports them; None for steps that run no job."""
    found: dict[str, int | None] = {}
    for step in execution.steps:
        properties = step.properties
        resources = (
            (properties.get("ProcessingResources") or {}).get("ClusterConfig")
            or (properties.get("TrainingJobDefinition") or {}).get("ResourceConfig")
            or properties.get("ResourceConfig")
            or {}
        )
        count = resources.get("InstanceCount")
        found[step.name] = (
            int(count) if isinstance(count, int | str) and str(count).isdigit() else None
        )
    return found


def best_hyperparameters(execution: ExecutionSummary) -> dict[str, Any]:
    """The tuning step's best trial, where the backend reports step properties."""
    tune = execution.step(names.TUNE)
    if tune is None or "BestTrainingJob" not in tune.properties:
        return {}
    best = tune.properties["BestTrainingJob"]
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return {
        "training_job": best.get("TrainingJobName"),
        "objective": {objective.get("MetricName", "objective"): objective.get("Value")},
        "hyperparameters": best.get("TunedHyperParameters", {}),
    }


def registered_package(execution: ExecutionSummary, backend: Backend) -> ModelPackage | None:
    """The version the Register step filed, where the backend reports it."""
    step = execution.step(names.REGISTER)
    if step is None or step.status != "Succeeded":
        return None
    # Locally the step's properties carry it; on SageMaker the step's Metadata.RegisterModel.Arn.
    arn = step.properties.get("ModelPackageArn") or step.job_arn
    if not arn or ":model-package/" not in str(arn):
        return None
    group, version = parse_model_package_arn(str(arn))
    return backend.registry.get(group, version)


def package_summary(package: ModelPackage) -> dict[str, Any]:
    return {
        "group": package.group,
        "version": package.version,
        "arn": package.arn,
        "approval_status": package.approval_status,
        "model_data_url": package.model_data_url,
    }
