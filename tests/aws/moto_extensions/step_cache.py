"""SageMaker Pipelines' step caching, which moto does not model (every step of every execution
runs).

AWS: https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-caching.html and
"Default cache key attributes by pipeline step type"
(https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html): a step whose
``CacheConfig.Enabled`` is true reuses a previous run "if the set of attributes is different
from all previous runs within the timeout period, the step runs again" (``ExpireAfter``, an
ISO 8601 duration). The attributes per step type:

- Processing: ``AppSpecification``, ``Environment``, ``ProcessingInputs``;
- Training: ``AlgorithmSpecification``, ``CheckpointConfig``, ``DebugHookConfig``,
  ``DebugRuleConfigurations``, ``Environment``, ``HyperParameters``, ``InputDataConfig``;
- Tuning: ``HyperParameterTuningJobConfig``, ``TrainingJobDefinition`` (its
  ``AlgorithmSpecification``, ``HyperParameterRanges``, ``InputDataConfig``,
  ``StaticHyperParameters``, ``TuningObjective``), ``TrainingJobDefinitions``.

The SageMaker Python SDK's ``CacheConfig`` (``sagemaker/workflow/steps.py``) adds: "Step caching
only considers successful execution [...] When multiple successful executions exist within the
timeout period, it uses the result for the most recent successful execution."

The cache hit is reported as ``CacheHitResult.SourcePipelineExecutionArn`` on the step
(API_PipelineExecutionStep, API_CacheHitResult: "The Amazon Resource Name (ARN) of the pipeline
execution"). Where the pages are silent we chose:

- the attributes are compared with the execution's parameter values substituted for ``Get`` and
  ``Std:Join`` (a changed input URI, or ``InputDataVersion`` in Preprocess's Environment, reruns
  the step); the execution variables that differ per execution (``PipelineExecutionId``,
  ``PipelineExecutionArn``, ``StartDateTime``, ``CurrentDateTime``) stand for this execution's
  values, so an attribute holding one never matches; ``PipelineName``/``PipelineArn`` are
  the same for every execution of the pipeline;
- a reference to another step's property stands for *that run's* value, so it is equal across
  executions only when the referenced step was itself reused from the same run (a fresh run's
  outputs are new objects);
- a candidate is an earlier execution of the same pipeline, started within ``ExpireAfter``
  (years as 365 days, months as 30) before this one, whose run of the step Succeeded, whether it
  ran the job or was itself a cache hit; the most recent candidate wins, and the hit names the
  execution whose job produced the reused outputs (for a chain of hits, the one that ran it);
- a ``CacheConfig`` without ``ExpireAfter`` never expires (the SDK says a timeout "needs to be
  defined"; the local runner, ``backends/local/cache.py``, reads its absence the same way).

The page's other step types (AutoML and those after it) are not modelled: the pipeline has none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend

KEY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "Processing": ("AppSpecification", "Environment", "ProcessingInputs"),
    "Training": (
        "AlgorithmSpecification",
        "CheckpointConfig",
        "DebugHookConfig",
        "DebugRuleConfigurations",
        "Environment",
        "HyperParameters",
        "InputDataConfig",
    ),
    "Tuning": ("HyperParameterTuningJobConfig", "TrainingJobDefinition", "TrainingJobDefinitions"),
}
TUNING_DEFINITION_KEYS = (
    "AlgorithmSpecification",
    "HyperParameterRanges",
    "InputDataConfig",
    "StaticHyperParameters",
    "TuningObjective",
)
_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def expire_after(text: str) -> timedelta:
    """An ISO 8601 duration (years as 365 days, months as 30)."""
    found = _DURATION.match(text.upper() if text.upper().startswith("P") else "P" + text.upper())
    if not found:
        raise ValueError(f"ExpireAfter {text!r} is not an ISO 8601 duration")
    n = {k: int(v or 0) for k, v in found.groupdict().items()}
    days = n["y"] * 365 + n["mo"] * 30 + n["w"] * 7 + n["d"]
    return timedelta(days=days, hours=n["h"], minutes=n["mi"], seconds=n["s"])


def _records(sm: SageMakerModelBackend) -> dict[str, dict[str, tuple[str, str]]]:
    """Per execution ARN: step name -> (cache key, ARN of the execution whose run it is)."""
    kept: dict[str, dict[str, tuple[str, str]]] = sm.__dict__.setdefault("_test_step_cache", {})
    return kept


def _parameters(definition: dict[str, Any], execution: Any) -> dict[str, Any]:
    values = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
    values.update({p["Name"]: p["Value"] for p in execution.pipeline_parameters or []})
    return values


# Execution variables that are the same for every execution of a pipeline; the others
# (PipelineExecutionId, PipelineExecutionArn, StartDateTime, CurrentDateTime) differ per execution.
PIPELINE_VARIABLES = ("PipelineName", "PipelineArn")


@dataclass(frozen=True)
class Scope:
    """What a reference in one execution's step arguments stands for."""

    execution_arn: str
    parameters: dict[str, Any]
    runs: dict[str, str]  # step name -> ARN of the execution whose run of it this one uses


def _resolve(value: Any, scope: Scope) -> Any:
    """``value`` with parameters substituted and step properties named by the run they read."""
    if isinstance(value, list):
        return [_resolve(v, scope) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        namespace, _, rest = str(value["Get"]).partition(".")
        if namespace == "Parameters":
            return str(scope.parameters.get(rest))
        if namespace == "Steps":
            step = rest.partition(".")[0]
            return f"<{scope.runs.get(step, '?')}:{rest}>"
        if namespace == "Execution" and rest not in PIPELINE_VARIABLES:
            return f"<{scope.execution_arn}:{rest}>"
        return f"<{value['Get']}>"
    if set(value) == {"Std:Join"}:
        join = value["Std:Join"]
        parts = [str(_resolve(v, scope)) for v in join["Values"]]
        return str(join.get("On", "")).join(parts)
    return {k: _resolve(v, scope) for k, v in value.items()}


def cache_key(step: dict[str, Any], scope: Scope) -> str:
    """The step's documented cache-key attributes, resolved in ``scope``, as canonical JSON."""
    arguments = step.get("Arguments") or {}
    picked = {name: arguments.get(name) for name in KEY_ATTRIBUTES.get(step.get("Type", ""), ())}
    if isinstance(picked.get("TrainingJobDefinition"), dict):
        definition = picked["TrainingJobDefinition"]
        picked["TrainingJobDefinition"] = {k: definition.get(k) for k in TUNING_DEFINITION_KEYS}
    return json.dumps(_resolve(picked, scope), sort_keys=True)


def cache_hits(sm: SageMakerModelBackend, pipeline: Any, execution: Any) -> dict[str, str]:
    """Step name -> SourcePipelineExecutionArn for each step of ``execution`` that SageMaker
    would reuse from an earlier execution of ``pipeline`` (earlier ones are keyed first)."""
    hits: dict[str, str] = {}
    for candidate in pipeline.pipeline_executions.values():  # in the order they started
        found = _key_steps(sm, pipeline, candidate)
        if candidate.arn == execution.arn:
            hits = found
            break
    return hits


def _key_steps(sm: SageMakerModelBackend, pipeline: Any, execution: Any) -> dict[str, str]:
    records = _records(sm)
    definition = json.loads(execution.pipeline_definition_for_execution or "{}")
    parameters = _parameters(definition, execution)
    earlier = sorted(  # the most recent first: the SDK's "most recent successful execution"
        (
            e
            for e in pipeline.pipeline_executions.values()
            if e.arn != execution.arn
            and e.arn in records
            and e.creation_time <= execution.creation_time
        ),
        key=lambda e: e.creation_time,
        reverse=True,
    )
    scope = Scope(execution.arn, parameters, {})
    runs = scope.runs
    keys: dict[str, tuple[str, str]] = {}
    hits: dict[str, str] = {}
    for step in definition.get("Steps", []):
        name = step["Name"]
        cache = step.get("CacheConfig") or {}
        key = cache_key(step, scope)
        source = records.get(execution.arn, {}).get(name, (key, execution.arn))[1]
        if (
            execution.arn not in records
            and cache.get("Enabled")
            and step.get("Type") in KEY_ATTRIBUTES
        ):
            found = _earlier_run(sm, records, earlier, name, key, execution, cache)
            if found is not None:
                source = found
        if source != execution.arn:
            hits[name] = source
        runs[name] = source
        keys[name] = (key, source)
    records.setdefault(execution.arn, keys)
    return hits


def _earlier_run(
    sm: SageMakerModelBackend,
    records: dict[str, dict[str, tuple[str, str]]],
    earlier: list[Any],
    name: str,
    key: str,
    execution: Any,
    cache: dict[str, Any],
) -> str | None:
    window = expire_after(str(cache["ExpireAfter"])) if cache.get("ExpireAfter") else None
    for previous in earlier:  # the most recent first
        if window is not None and execution.creation_time - previous.creation_time > window:
            continue
        if not _succeeded(sm, previous.arn, name):
            continue
        recorded = records[previous.arn].get(name)
        if recorded is not None and recorded[0] == key:
            return recorded[1]
    return None


def _succeeded(sm: SageMakerModelBackend, arn: str, name: str) -> bool:
    """Whether the step's run in ``arn`` succeeded: as scripted by a test, else moto's
    (every unscripted step succeeds)."""
    scripted = sm.__dict__.get("_test_execution_steps", {}).get(arn)
    if scripted is None:
        return True
    return any(s["StepName"] == name and s["StepStatus"] == "Succeeded" for s in scripted)


def stamp(moment: datetime, execution: Any) -> None:
    """Tests move an execution back in time to put it outside ``ExpireAfter``."""
    execution.creation_time = moment
