"""The :class:`~orchestrator.backends.base.BatchTransformer` of the local backend.

Reads a file and writes a file, with SageMaker's splitting, batching and DataProcessing rules
(``batch_transform``). When the local endpoint already serves the version asked for, the job
sends its requests there; otherwise it unpacks the model and starts a server of its own for the
job, as a SageMaker transform job starts its own instances.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.backends.base import BatchRequest, BatchResult, Progress
from orchestrator.backends.local.batch_settings import DataProcessing
from orchestrator.backends.local.batch_transform import run_batch_transform
from orchestrator.backends.local.csv_jsonpath import parse_filter
from orchestrator.backends.local.endpoint_manager import LocalEndpointManager
from orchestrator.backends.local.model_unpack import unpack_model
from orchestrator.backends.local.serving_errors import BatchTransformError
from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import UserError

if TYPE_CHECKING:
    from orchestrator.backends.polling import PollSettings


class LocalBatchTransformer:
    def __init__(self, workspace: LocalWorkspace, endpoints: LocalEndpointManager) -> None:
        self.workspace = workspace
        self.endpoints = endpoints

    def check(self, request: BatchRequest) -> None:
        local_paths(request)
        data_processing(request)

    def transform(
        self, package: ModelPackage, request: BatchRequest, poll: PollSettings, progress: Progress
    ) -> BatchResult:
        source, target = local_paths(request)
        processing = data_processing(request)
        accept = request.accept or (
            "text/csv" if request.content_type == "text/csv" else "application/jsonlines"
        )
        if self.endpoints.serving() == package.arn and self.endpoints.url is not None:
            endpoint_url, model_dir, work_dir = self.endpoints.url, None, None
        else:
            endpoint_url, work_dir = None, self.workspace.batch_root
            model_dir = unpack_model(
                package, self.workspace.store_root, self.workspace.endpoints_root
            )
        result = run_batch_transform(
            source,
            target,
            endpoint_url=endpoint_url,
            model_dir=model_dir,
            work_dir=work_dir,
            content_type=request.content_type,
            accept=accept,
            data_processing=processing,
        )
        progress(f"batch transform wrote {result.records} lines to {result.output_path}")
        return BatchResult(
            output=str(result.output_path), records=result.records, requests=result.requests
        )


def local_paths(request: BatchRequest) -> tuple[Path, Path]:
    """The request's input and output as files; S3 URIs are for aws environments."""
    if request.output is None:
        raise UserError("--output FILE is required for a local environment's batch transform")
    for flag, value in (("--input", request.input), ("--output", request.output)):
        if value.startswith("s3://"):
            raise UserError(
                f"{flag} {value} is an S3 URI; a local environment reads and writes files "
                "(use --env dev|staging|prod for SageMaker batch transform)"
            )
    source = Path(request.input)
    if not source.is_file():
        raise UserError(f"--input {source} does not exist; pass a CSV or JSON Lines file")
    return source, Path(request.output)


def data_processing(request: BatchRequest) -> DataProcessing:
    """SageMaker's DataProcessing settings, checked before a model server starts: a bad filter
    is a usage mistake (exit 2), not a failed transform."""
    processing = DataProcessing(request.input_filter, request.join_source, request.output_filter)
    try:
        parse_filter(processing.input_filter, "--input-filter")
        parse_filter(processing.output_filter, "--output-filter")
    except BatchTransformError as exc:
        raise UserError(str(exc)) from None
    if processing != DataProcessing() and request.content_type != "text/csv":
        raise UserError(
            "--input-filter, --join-source and --output-filter work on CSV only; use "
            "--content-type text/csv or drop them"
        )
    return processing
