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

The cache hit is reported as ``CacheHitResult.SourcePipelineExecutionArn`` on the step
(API_PipelineExecutionStep). Where the pages are silent we chose: the attributes are compared
with the execution's parameter values substituted (the documented example: a changed input URI
reruns the step); a reference to another step's property stands for *that run's* value, so it is
equal across executions only when the referenced step was itself reused from the same run
(a fresh run's outputs are new objects); a hit names the execution whose run is reused, the
first one; only earlier executions of the same pipeline count.
"""

from __future__ import annotations

import json
import re
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


def _resolve(value: Any, parameters: dict[str, Any], runs: dict[str, str]) -> Any:
    """``value`` with parameters substituted and step properties named by the run they read."""
    if isinstance(value, list):
        return [_resolve(v, parameters, runs) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        namespace, _, rest = str(value["Get"]).partition(".")
        if namespace == "Parameters":
            return str(parameters.get(rest))
        if namespace == "Steps":
            step = rest.partition(".")[0]
            return f"<{runs.get(step, '?')}:{rest}>"
        return f"<{value['Get']}>"
    if set(value) == {"Std:Join"}:
        join = value["Std:Join"]
        parts = [str(_resolve(v, parameters, runs)) for v in join["Values"]]
        return str(join.get("On", "")).join(parts)
    return {k: _resolve(v, parameters, runs) for k, v in value.items()}


def cache_key(step: dict[str, Any], parameters: dict[str, Any], runs: dict[str, str]) -> str:
    arguments = step.get("Arguments") or {}
    picked = {name: arguments.get(name) for name in KEY_ATTRIBUTES.get(step.get("Type", ""), ())}
    if isinstance(picked.get("TrainingJobDefinition"), dict):
        definition = picked["TrainingJobDefinition"]
        picked["TrainingJobDefinition"] = {k: definition.get(k) for k in TUNING_DEFINITION_KEYS}
    return json.dumps(_resolve(picked, parameters, runs), sort_keys=True)


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
    earlier = [
        e
        for e in pipeline.pipeline_executions.values()
        if e.arn != execution.arn
        and e.arn in records
        and e.creation_time <= execution.creation_time
    ]
    runs: dict[str, str] = {}
    keys: dict[str, tuple[str, str]] = {}
    hits: dict[str, str] = {}
    for step in definition.get("Steps", []):
        name = step["Name"]
        cache = step.get("CacheConfig") or {}
        key = cache_key(step, parameters, runs)
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
    window = expire_after(str(cache.get("ExpireAfter") or "P30D"))
    for previous in earlier:
        if execution.creation_time - previous.creation_time > window:
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
