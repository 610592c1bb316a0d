"""A Tuning step: CreateHyperParameterTuningJob run locally as real trials.

SageMaker's Bayesian strategy is replaced by Optuna's TPE sampler (a well-known Bayesian method;
``Random`` uses Optuna's random sampler), seeded from the execution so a run can be repeated.
Trials run as training-job subprocesses, up to ``min(MaxParallelTrainingJobs, cores)`` at once,
each given ``cores / parallel`` threads so they don't oversubscribe the machine. Batches are
asked and told in trial order, which keeps the search reproducible for a given seed regardless of
which trial finishes first. Each trial's objective is the last match of the definition's own
``MetricDefinitions`` regex for the objective metric; a failed trial is recorded and the search
goes on, and the step fails only if no trial produced the objective.

Properties follow DescribeHyperParameterTuningJob (``BestTrainingJob``) plus
``TrainingJobSummaries`` sorted best first, so ``TrainingJobSummaries[0]`` is the best trial as
the SageMaker SDK's ``get_top_model_s3_uri`` assumes.
"""

from __future__ import annotations

import hashlib
import math
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import DefinitionError, StepFailed
from orchestrator.backends.local.outcome import StepOutcome
from orchestrator.backends.local.training import (
    TrainingRequest,
    compile_metric_definitions,
    run_training_job,
)


@dataclass
class TrialResult:
    index: int  # 1-based, in the order trials were asked
    job_name: str
    job_arn: str
    tuned: dict[str, str]
    log_file: Path
    status: str = "Failed"
    failure_reason: str | None = None
    objective: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    ended: str = ""


TrialCallback = Callable[[TrialResult, int], None]  # (result, total trials)


@dataclass(frozen=True)
class TuningPlan:
    maximize: bool
    metric: str
    max_jobs: int
    max_parallel: int
    ranges: dict[str, Any]
    static: dict[str, str]
    definition: dict[str, Any]
    strategy: str


def plan_tuning(step: str, arguments: dict[str, Any]) -> TuningPlan:
    """Validate the tuning request before any trial runs."""
    config = arguments.get("HyperParameterTuningJobConfig") or {}
    if arguments.get("TrainingJobDefinitions"):
        raise DefinitionError(
            f"step {step!r} uses TrainingJobDefinitions (several algorithms); the local runner "
            "tunes one TrainingJobDefinition"
        )
    definition = dict(arguments.get("TrainingJobDefinition") or {})
    if not definition:
        raise DefinitionError(f"step {step!r} has no TrainingJobDefinition")
    objective = config.get("HyperParameterTuningJobObjective") or definition.get("TuningObjective")
    if not objective or objective.get("Type") not in ("Maximize", "Minimize"):
        raise DefinitionError(
            f"step {step!r} needs HyperParameterTuningJobObjective with Type Maximize or Minimize"
        )
    metric = str(objective.get("MetricName"))
    names = [name for name, _ in compile_metric_definitions(step, definition)]
    if metric not in names:
        raise DefinitionError(
            f"step {step!r} tunes on {metric!r} but AlgorithmSpecification.MetricDefinitions has "
            f"no regex for it (defined: {', '.join(names) or 'none'}); add "
            f"{{'Name': '{metric}', 'Regex': ...}} so trials' objectives can be read from logs"
        )
    strategy = config.get("Strategy", "Bayesian")
    if strategy not in ("Bayesian", "Random"):
        raise DefinitionError(
            f"step {step!r} uses tuning Strategy {strategy!r}; the local runner supports "
            "Bayesian (Optuna TPE) and Random"
        )
    limits = config.get("ResourceLimits") or {}
    try:
        max_jobs = int(limits["MaxNumberOfTrainingJobs"])
        max_parallel = int(limits.get("MaxParallelTrainingJobs", 1))
    except (KeyError, TypeError, ValueError):
        raise DefinitionError(
            f"step {step!r} needs ResourceLimits.MaxNumberOfTrainingJobs (an integer)"
        ) from None
    if max_jobs < 1 or max_parallel < 1:
        raise DefinitionError(f"step {step!r}: ResourceLimits must be at least 1")
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    static = {str(k): str(v) for k, v in (definition.get("StaticHyperParameters") or {}).items()}
    return TuningPlan(
        objective["Type"] == "Maximize",
        metric,
        max_jobs,
        max_parallel,
        ranges,
        static,
        definition,
        strategy,
    )


def suggest(trial: Any, step: str, ranges: dict[str, Any]) -> dict[str, str]:
    """One trial's tuned hyperparameters (as strings, as SageMaker passes them)."""
    values: dict[str, str] = {}
    try:
        for spec in ranges.get("IntegerParameterRanges") or []:
            low, high = int(spec["MinValue"]), int(spec["MaxValue"])
            log = spec.get("ScalingType") == "Logarithmic"
            values[spec["Name"]] = str(trial.suggest_int(spec["Name"], low, high, log=log))
        for spec in ranges.get("ContinuousParameterRanges") or []:
            bottom, top = float(spec["MinValue"]), float(spec["MaxValue"])
            scaling = spec.get("ScalingType", "Auto")
            if scaling == "ReverseLogarithmic":  # dense near 1: sample 1-x on a log scale
                u = trial.suggest_float(spec["Name"], 1.0 - top, 1.0 - bottom, log=True)
                values[spec["Name"]] = repr(1.0 - u)
            else:
                log = scaling == "Logarithmic"
                values[spec["Name"]] = repr(trial.suggest_float(spec["Name"], bottom, top, log=log))
        for spec in ranges.get("CategoricalParameterRanges") or []:
            choices = [str(v) for v in spec["Values"]]
            values[spec["Name"]] = str(trial.suggest_categorical(spec["Name"], choices))
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(
            f"step {step!r} has an invalid hyperparameter range ({type(exc).__name__}: {exc}); "
            "each range needs Name and MinValue <= MaxValue (positive for Logarithmic) or Values"
        ) from None
    if not values:
        raise DefinitionError(f"step {step!r} has no ParameterRanges to tune")
    return values


def run_tuning(
    step: str,
    arguments: dict[str, Any],
    *,
    store: ArtifactStore,
    work_root: Path,
    log_path: Callable[[str], Path],
    tuning_job_name: str,
    arn_prefix: str,
    train_command: Sequence[str],
    seed: int,
    cores: int,
    on_trial: TrialCallback | None = None,
) -> StepOutcome:
    plan = plan_tuning(step, arguments)
    created = datetime.now(UTC)
    parallel = max(1, min(plan.max_parallel, cores, plan.max_jobs))
    study = _study(plan, seed, parallel)
    summary_log = log_path(step)
    summary_log.parent.mkdir(parents=True, exist_ok=True)

    def run(trial: TrialResult) -> TrialResult:
        threads = max(1, cores // parallel)
        return _run_trial(step, plan, trial, store, work_root, train_command, threads)

    def name_trial(index: int) -> tuple[str, str, Path]:
        name = _trial_name(tuning_job_name, index)
        arn = f"{arn_prefix}training-job/{name.lower()}"
        return name, arn, log_path(f"{step}.trial-{index:03d}")

    def finished(result: TrialResult) -> None:
        _append_summary(summary_log, result, plan)
        if on_trial:
            on_trial(result, plan.max_jobs)

    results = _tune(study, step, plan, parallel, name_trial, run, finished)
    scored = [r for r in results if r.objective is not None]
    if not scored:
        first = next((r.failure_reason for r in results if r.failure_reason), None)
        raise StepFailed(
            f"all {len(results)} training jobs of {tuning_job_name} failed or reported no "
            f"{plan.metric!r}" + (f"; first failure: {first}" if first else "")
        )
    properties = _tuning_properties(
        results, plan, arguments, tuning_job_name, arn_prefix, seed, created
    )
    completed = [r for r in results if r.status == "Completed"]
    artifacts = [r.properties["ModelArtifacts"]["S3ModelArtifacts"] for r in completed]
    work = [summary_log, *(r.log_file for r in results)]
    return StepOutcome(properties, artifacts, [str(p) for p in work])


def _study(plan: TuningPlan, seed: int, parallel: int) -> Any:
    """An Optuna study: TPE (with a constant liar for parallel trials) for Bayesian, or random."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if plan.strategy == "Random":
        sampler: Any = optuna.samplers.RandomSampler(seed=seed)
    else:
        startup = min(10, max(parallel, plan.max_jobs // 3))
        sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=startup, constant_liar=True
        )
    return optuna.create_study(
        direction="maximize" if plan.maximize else "minimize", sampler=sampler
    )


def _tune(
    study: Any,
    step: str,
    plan: TuningPlan,
    parallel: int,
    name_trial: Callable[[int], tuple[str, str, Path]],
    run: Callable[[TrialResult], TrialResult],
    finished: Callable[[TrialResult], None],
) -> list[TrialResult]:
    """Ask, run (``parallel`` at a time) and tell until ``max_jobs`` trials have run."""
    import optuna

    results: list[TrialResult] = []
    while len(results) < plan.max_jobs:
        batch = min(parallel, plan.max_jobs - len(results))
        asked = [study.ask() for _ in range(batch)]
        pending = []
        for offset, trial in enumerate(asked):
            index = len(results) + offset + 1
            name, arn, log = name_trial(index)
            pending.append(TrialResult(index, name, arn, suggest(trial, step, plan.ranges), log))
        with ThreadPoolExecutor(max_workers=batch) as pool:
            for future in as_completed([pool.submit(run, trial) for trial in pending]):
                finished(future.result())
        for trial, done in zip(asked, pending, strict=True):
            if done.objective is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, done.objective)
        results.extend(pending)
    return results


def _tuning_properties(
    results: list[TrialResult],
    plan: TuningPlan,
    arguments: dict[str, Any],
    tuning_job_name: str,
    arn_prefix: str,
    seed: int,
    created: datetime,
) -> dict[str, Any]:
    """The tuning job's DescribeHyperParameterTuningJob-shaped properties."""
    scored = [r for r in results if r.objective is not None]
    completed = [r for r in results if r.status == "Completed"]
    summaries = [_summary(r, plan, tuning_job_name) for r in _best_first(results, plan.maximize)]
    return {
        "HyperParameterTuningJobName": tuning_job_name,
        "HyperParameterTuningJobArn": f"{arn_prefix}hyper-parameter-tuning-job/"
        f"{tuning_job_name.lower()}",
        "HyperParameterTuningJobStatus": "Completed",
        "HyperParameterTuningJobConfig": arguments.get("HyperParameterTuningJobConfig") or {},
        "TrainingJobDefinition": plan.definition,
        "Strategy": plan.strategy,
        "Seed": seed,
        "BestTrainingJob": summaries[0],
        "TrainingJobSummaries": summaries,
        "TrainingJobStatusCounters": {
            "Completed": len(completed),
            "InProgress": 0,
            "RetryableError": 0,
            "NonRetryableError": len(results) - len(completed),
            "Stopped": 0,
        },
        "ObjectiveStatusCounters": {
            "Succeeded": len(scored),
            "Pending": 0,
            "Failed": len(results) - len(scored),
        },
        "CreationTime": created.isoformat(),
        "HyperParameterTuningEndTime": datetime.now(UTC).isoformat(),
    }


def _run_trial(
    step: str,
    plan: TuningPlan,
    trial: TrialResult,
    store: ArtifactStore,
    work_root: Path,
    train_command: Sequence[str],
    threads: int,
) -> TrialResult:
    root = work_root / trial.job_name
    shutil.rmtree(root, ignore_errors=True)
    trial.started = datetime.now(UTC).isoformat()
    request = TrainingRequest(
        step,
        trial.job_name,
        trial.job_arn,
        # nthread (XGBoost's, honoured by `train`) keeps parallel trials from oversubscribing
        # the cores; a definition that sets it itself wins.
        {"nthread": str(threads), **plan.static, **trial.tuned},
        plan.definition,
        threads,
    )
    try:
        trial.properties = run_training_job(
            request,
            store=store,
            opt_ml_root=root,
            log_path=trial.log_file,
            train_command=train_command,
        )
        trial.status = "Completed"
        metrics = {m["MetricName"]: m["Value"] for m in trial.properties["FinalMetricDataList"]}
        value = metrics.get(plan.metric)
        if value is not None and math.isfinite(value):
            trial.objective = value
        else:
            trial.failure_reason = (
                f"the objective metric {plan.metric!r} was not found in the training log "
                f"(or was not finite); log: {trial.log_file}"
            )
        shutil.rmtree(root, ignore_errors=True)
    except StepFailed as exc:
        trial.failure_reason = exc.reason
    trial.ended = datetime.now(UTC).isoformat()
    return trial


def _best_first(results: list[TrialResult], maximize: bool) -> list[TrialResult]:
    def rank(result: TrialResult) -> tuple[int, float, int]:
        if result.objective is not None:
            return (0, -result.objective if maximize else result.objective, result.index)
        return (1 if result.status == "Completed" else 2, 0.0, result.index)

    return sorted(results, key=rank)


def _summary(result: TrialResult, plan: TuningPlan, tuning_job_name: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TrainingJobName": result.job_name,
        "TrainingJobArn": result.job_arn,
        "TuningJobName": tuning_job_name,
        "CreationTime": result.started,
        "TrainingStartTime": result.started,
        "TrainingEndTime": result.ended,
        "TrainingJobStatus": result.status,
        "TunedHyperParameters": result.tuned,
        "ObjectiveStatus": "Succeeded" if result.objective is not None else "Failed",
    }
    if result.objective is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": "Maximize" if plan.maximize else "Minimize",
            "MetricName": plan.metric,
            "Value": result.objective,
        }
    if result.failure_reason:
        summary["FailureReason"] = result.failure_reason
    return summary


def _trial_name(tuning_job_name: str, index: int) -> str:
    """SageMaker's pattern ``<tuning job>-<NNN>-<8 hex>``; deterministic for a job name."""
    token = hashlib.sha256(f"{tuning_job_name}/{index}".encode()).hexdigest()[:8]
    return f"{tuning_job_name}-{index:03d}-{token}"


def _append_summary(path: Path, trial: TrialResult, plan: TuningPlan) -> None:
    outcome = (
        f"{plan.metric}={trial.objective}"
        if trial.objective is not None
        else f"failed: {trial.failure_reason}"
    )
    with open(path, "a") as handle:
        handle.write(
            f"trial {trial.index}/{plan.max_jobs} {trial.job_name} {trial.tuned} {outcome}\n"
        )
