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
from pathlib import Path
from typing import Any

from ml_containers.schema import DatasetSchema

from orchestrator.backends.base import Backend, BatchRequest, ExecutionSummary, Progress
from orchestrator.backends.polling import PollSettings
from orchestrator.data.identity import model_group_name
from orchestrator.errors import OperationFailed, UserError
from orchestrator.flows.deploy import serve
from orchestrator.heldout import write_held_out_rows
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
    group = model_group_name(backend.outputs.model_package_group_name, schema.name)
    served = backend.registry.latest_approved(group)
    if served is None:
        summary["endpoint"] = {
            "status": "skipped",
            "reason": "no Approved model version yet; approve one with "
            f"'orchestrator models approve <version> --env {config.name}'",
        }
        return 0
    try:
        batch_input = test_rows(backend, execution)
        serve(backend, served, SMOKE_POLL, progress, "run")  # recorded in the history
        summary["endpoint"] = check_endpoint(backend, batch_input, len(schema.id_columns))
        progress(f"endpoint answered: {summary['endpoint']['sample_prediction']}")
        output = batch_input.with_name(f"{batch_input.name}.out")
        request = id_column_processing(schema, batch_input, output)
        result = backend.transformer.transform(served, request, SMOKE_POLL, progress)
    except OperationFailed as exc:
        summary.setdefault("endpoint", {"status": "failed"})
        summary["error"] = str(exc)
        return 1
    summary["batch_transform"] = {
        "input": str(batch_input),
        "output": result.output,
        "records": result.records,
        "requests": result.requests,
        "data_processing": {
            "input_filter": request.input_filter,
            "join_source": request.join_source,
            "output_filter": request.output_filter,
        },
    }
    return 0


def test_rows(backend: Backend, execution: ExecutionSummary) -> Path:
    """The Preprocess step's raw test rows as ``batch.csv`` in the work folder: its
    ``batch/batch.csv``, or its parts from several hosts concatenated in order."""
    preprocess = execution.step(names.PREPROCESS)
    outputs = (preprocess.properties if preprocess else {}).get("ProcessingOutputConfig", {})
    for output in outputs.get("Outputs", []):
        if output["OutputName"] == "batch":
            target = backend.work_dir / execution.id / "batch.csv"
            return write_held_out_rows(backend, output["S3Output"]["S3Uri"], target)
    raise UserError("the Preprocess step has no 'batch' output; the definition is not ours")


def id_column_processing(schema: DatasetSchema, source: Path, target: Path) -> BatchRequest:
    """SageMaker's JoinSource association for a schema with ID columns.

    ``batch.csv`` rows are the ID columns, then the features (docs/architecture.md). The model
    must see the features only (InputFilter drops the IDs), and each output line should say which
    row it is about: JoinSource=Input appends the prediction to the original row and OutputFilter
    keeps the IDs and the prediction's fields. Indexes are listed one by one (``$[0,1,15:]``),
    the form SageMaker documents, so the same settings work on a real TransformJob.
    """
    ids = len(schema.id_columns)
    if not ids:
        return BatchRequest(input=str(source), output=str(target))
    record_width = ids + len(schema.features)
    kept = ",".join([*(str(i) for i in range(ids)), f"{record_width}:"])
    return BatchRequest(
        input=str(source),
        output=str(target),
        input_filter=f"$[{ids}:]",
        join_source="Input",
        output_filter=f"$[{kept}]",
    )


def _model_input(line: bytes, id_columns: int) -> bytes:
    """One batch row as the model sees it: the features, without the leading ID columns (what
    the InputFilter above selects)."""
    if not id_columns:
        return line
    fields = next(csv.reader([line.decode("utf-8")]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields[id_columns:])
    return buffer.getvalue().encode()


def check_endpoint(backend: Backend, batch_input: Path, id_columns: int = 0) -> dict[str, Any]:
    """Send a few real test rows; the endpoint must answer with one prediction per row."""
    with batch_input.open("rb") as handle:
        rows = [line for _, line in zip(range(SAMPLE_ROWS), handle, strict=False)]
    rows = [_model_input(row, id_columns) for row in rows]
    started = time.perf_counter()
    answer = backend.endpoints.invoke(b"".join(rows), "text/csv", "application/json")
    latency_ms = (time.perf_counter() - started) * 1000
    predictions = answer.json()["predictions"]
    if len(predictions) != len(rows):
        raise OperationFailed(
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
