"""ListPipelineExecutions in the order asked for (moto 5 ignores SortBy and SortOrder).

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListPipelineExecutions.html
takes ``SortBy`` ("The field by which to sort results. The default is CreatedTime.") and
``SortOrder`` ("The sort order for results."; Ascending or Descending, newest first by default),
so ``orchestrator pipeline wait`` and ``executions describe latest`` find the newest execution
first. moto keeps executions in creation order, which is what CreationTime sorts by.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse


def _list_pipeline_executions(self: SageMakerResponse) -> ActionResult:
    response = self.sagemaker_backend.list_pipeline_executions(self._get_param("PipelineName"))
    summaries = list(response["PipelineExecutionSummaries"])  # creation order
    if self._get_param("SortBy") == "PipelineExecutionArn":
        summaries.sort(key=lambda s: s["PipelineExecutionArn"])
    if self._get_param("SortOrder") != "Ascending":
        summaries.reverse()
    return ActionResult({**response, "PipelineExecutionSummaries": summaries})
