"""ListPipelineExecutionSteps, which moto 5 lacks.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelineExecutionSteps.html
"Gets a list of PipeLineExecutionStep objects"; "Each PipeLineExecutionStep consists of
StepName, StartTime, EndTime, StepStatus, and Metadata" (plus FailureReason and CacheHitResult),
ordered by ``SortOrder`` (Ascending or Descending, newest first when omitted) and paged by
``MaxResults``/``NextToken``. Steps are the scripted ones, else every top-level step of the
definition as Succeeded (moto's executions succeed at once), each cacheable one marked with
``CacheHitResult`` where SageMaker would reuse an earlier run (``step_cache.py``).
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import get_pipeline_execution_from_arn

from moto_extensions.state import _steps, step
from moto_extensions.step_cache import cache_hits


def _list_pipeline_execution_steps(self: SageMakerResponse) -> ActionResult:
    arn = self._get_param("PipelineExecutionArn")
    sm = self.sagemaker_backend
    execution = get_pipeline_execution_from_arn(sm.pipelines, arn)
    steps = _steps(sm).get(arn)
    if steps is None:
        definition = json.loads(execution.pipeline_definition_for_execution or "{}")
        pipeline = sm.pipelines[arn.split("/")[1]]
        hits = cache_hits(sm, pipeline, execution)  # step_cache.py: SageMaker's step caching
        steps = [
            step(s["Name"], "Succeeded", step_type=s.get("Type", ""))
            for s in definition.get("Steps", [])
        ]
        for entry in steps:
            if entry["StepName"] in hits:
                entry["CacheHitResult"] = {"SourcePipelineExecutionArn": hits[entry["StepName"]]}
        # A step's StartTime/EndTime are facts of the execution: later listings repeat them.
        _steps(sm)[arn] = steps
    # SageMaker lists the most recent step first unless SortOrder=Ascending; pages like it.
    ascending = self._get_param("SortOrder") == "Ascending"
    ordered = list(steps) if ascending else list(reversed(steps))
    size = int(self._get_param("MaxResults") or 100)
    start = int(self._get_param("NextToken") or 0)
    page = ordered[start : start + size]
    result: dict[str, Any] = {"PipelineExecutionSteps": page}
    if start + size < len(ordered):
        result["NextToken"] = str(start + size)
    return ActionResult(result)
