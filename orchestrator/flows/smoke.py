"""The end of a run where endpoints live only as long as the command: prove the model serves.

Deploy the latest approved version, send it a few real test rows (each must get a prediction),
then batch-transform the whole test split through the same endpoint. With ID columns in the
schema, the transform uses SageMaker's DataProcessing association so each output line names its
row (``P-00042,malignant,0.08,0.92``).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ml_containers.schema import DatasetSchema

from orchestrator.backends.base import Backend, BatchRequest, ExecutionSummary, Progress
from orchestrator.backends.local.batch_settings import DataProcessing
from orchestrator.backends.local.csv_jsonpath import parse_filter
from orchestrator.backends.local.serving_errors import (
    BatchTransformError,
    EndpointError,
    InvocationError,
)
from orchestrator.backends.polling import PollSettings
from orchestrator.errors import UserError
from orchestrator.pipeline import names
from orchestrator.settings.environment import EnvironmentConfig

SAMPLE_ROWS = 5
SMOKE_POLL = PollSettings(timeout_seconds=3600.0)


def serve_and_score(
    backend: Backend,
    config: EnvironmentConfig,
    execution: ExecutionSummary,
    schema: DatasetSchema,
    summary: dict[str, Any],
    progress: Progress,
) -> int:
    """Fill ``summary['endpoint']`` and ``summary['batch_transform']``; the exit code."""
    served = backend.registry.latest_approved(backend.model_group)
    if served is None:
        summary["endpoint"] = {
            "status": "skipped",
            "reason": "no Approved model version yet; approve one with "
            f"'orchestrator models approve <version> --env {config.name}'",
        }
        return 0
    processing = id_column_processing(schema)
    try:
        batch_input = test_rows(backend, execution)
        backend.endpoints.deploy(served, SMOKE_POLL, progress)
        summary["endpoint"] = check_endpoint(backend, batch_input, processing)
        progress(f"endpoint answered: {summary['endpoint']['sample_prediction']}")
        output = batch_input.with_name(f"{batch_input.name}.out")
        request = BatchRequest(
            input=str(batch_input),
            output=str(output),
            input_filter=processing.input_filter,
            join_source=processing.join_source,
            output_filter=processing.output_filter,
        )
        result = backend.transformer.transform(served, request, SMOKE_POLL, progress)
    except (EndpointError, InvocationError, BatchTransformError) as exc:
        summary.setdefault("endpoint", {"status": "failed"})
        summary["error"] = str(exc)
        return 1
    summary["batch_transform"] = {
        "input": str(batch_input),
        "output": result.output,
        "records": result.records,
        "requests": result.requests,
        "data_processing": asdict(processing),
    }
    return 0


def test_rows(backend: Backend, execution: ExecutionSummary) -> Path:
    """The Preprocess step's raw test rows (``batch/batch.csv``), fetched into the work folder."""
    preprocess = execution.step(names.PREPROCESS)
    outputs = (preprocess.properties if preprocess else {}).get("ProcessingOutputConfig", {})
    for output in outputs.get("Outputs", []):
        if output["OutputName"] == "batch":
            folder = backend.work_dir / execution.id
            uri = output["S3Output"]["S3Uri"].rstrip("/") + "/batch.csv"
            return backend.artifacts.download(uri, folder)[0]
    raise UserError("the Preprocess step has no 'batch' output; the definition is not ours")


def id_column_processing(schema: DatasetSchema) -> DataProcessing:
    """SageMaker's JoinSource association for a schema with ID columns.

    ``batch.csv`` rows are the ID columns, then the features (docs/architecture.md). The model
    must see the features only (InputFilter drops the IDs), and each output line should say which
    row it is about: JoinSource=Input appends the prediction to the original row and OutputFilter
    keeps the IDs and the prediction's fields. Indexes are listed one by one (``$[0,1,15:]``),
    the form SageMaker documents, so the same settings work on a real TransformJob.
    """
    ids = len(schema.id_columns)
    if not ids:
        return DataProcessing()
    record_width = ids + len(schema.features)
    kept = ",".join([*(str(i) for i in range(ids)), f"{record_width}:"])
    return DataProcessing(
        input_filter=f"$[{ids}:]", join_source="Input", output_filter=f"$[{kept}]"
    )


def _model_input(line: bytes, processing: DataProcessing) -> bytes:
    """One batch row as the model sees it (after the InputFilter)."""
    selector = parse_filter(processing.input_filter, "InputFilter")
    if selector.is_identity:
        return line
    fields = next(csv.reader([line.decode("utf-8")]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(selector.select(fields, 1))
    return buffer.getvalue().encode()


def check_endpoint(
    backend: Backend, batch_input: Path, processing: DataProcessing | None = None
) -> dict[str, Any]:
    """Send a few real test rows; the endpoint must answer with one prediction per row."""
    with batch_input.open("rb") as handle:
        rows = [line for _, line in zip(range(SAMPLE_ROWS), handle, strict=False)]
    if processing is not None:
        rows = [_model_input(row, processing) for row in rows]
    started = time.perf_counter()
    answer = backend.endpoints.invoke(b"".join(rows), "text/csv", "application/json")
    latency_ms = (time.perf_counter() - started) * 1000
    predictions = answer.json()["predictions"]
    if len(predictions) != len(rows):
        raise EndpointError(
            f"the endpoint returned {len(predictions)} predictions for {len(rows)} rows"
        )
    return {
        "status": "ok",
        "url": backend.endpoints.url,
        "model_version": answer.model_version,
        "rows_sent": len(rows),
        "latency_ms": round(latency_ms, 1),
        "sample_prediction": predictions[0],
    }
