"""Step caching with SageMaker's semantics.

A step with ``CacheConfig.Enabled`` is not run when an earlier *succeeded* run of a step with the
same name in the same pipeline, within ``ExpireAfter``, had the same cache key; its properties
(and so its output locations) are reused. The key is a hash of the documented cache-key
attributes of the step type (the pipeline's step-type registry lists them), taken from the
*resolved* arguments (parameters and upstream properties substituted), so a changed parameter
or upstream output misses while, as in SageMaker, an output location that embeds the execution
id does not defeat the cache.
See https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.executions import Execution, StepRecord
from orchestrator.pipeline import step_types

_DURATION = re.compile(
    r"^P?(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$",
    re.IGNORECASE,
)


def cacheable(step_type: str) -> bool:
    kind = step_types.get(step_type)
    return kind is not None and bool(kind.cache_keys)


def cache_key(step_type: str, resolved_arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the step type's cache-key attributes (canonical JSON)."""
    kind = step_types.get(step_type)
    keys = kind.cache_keys if kind else ()
    selected = {name: resolved_arguments[name] for name in keys if name in resolved_arguments}
    for name, members in kind.nested_cache_keys if kind else ():
        value = selected.get(name)
        if isinstance(value, Mapping):
            selected[name] = {k: value[k] for k in members if k in value}
    canonical = json.dumps({"Type": step_type, **selected}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_expire_after(text: str | None, step: str) -> timedelta | None:
    """ISO 8601 duration (``P30D``, ``PT1H``, also the console's ``30d``/``T16m``); None when
    unset (SageMaker: no expiry). Years and months count as 365 and 30 days."""
    if text is None or text == "":
        return None
    match = _DURATION.match(str(text).strip())
    if not match or not any(match.groupdict().values()):
        raise DefinitionError(
            f"step {step!r} has CacheConfig.ExpireAfter {text!r}, which is not an ISO 8601 "
            "duration; write e.g. 'P30D' (30 days) or 'PT1H' (1 hour)"
        )
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return timedelta(
        days=parts["years"] * 365 + parts["months"] * 30 + parts["weeks"] * 7 + parts["days"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )


def find_cached_run(
    executions: list[Execution],
    *,
    pipeline_name: str,
    step_name: str,
    key: str,
    expire_after: timedelta | None,
    now: datetime,
    artifacts_exist: Callable[[list[str]], bool],
    exclude_execution: str,
) -> tuple[Execution, StepRecord] | None:
    """The most recent succeeded, original (not itself cached) run of the step with ``key``,
    whose published artifacts are all still in the store."""
    best: tuple[Execution, StepRecord] | None = None
    best_end: datetime | None = None
    for execution in executions:
        if execution.pipeline_name != pipeline_name or execution.execution_id == exclude_execution:
            continue
        record = execution.step(step_name)
        if not record or record.status != "Succeeded" or record.cache_hit_source:
            continue
        if record.cache_key != key or record.end_time is None:
            continue
        if expire_after is not None and record.end_time + expire_after < now:
            continue
        if not artifacts_exist(record.artifacts):
            continue
        if best_end is None or record.end_time > best_end:
            best, best_end = (execution, record), record.end_time
    return best
