"""``orchestrator run --env local``: the whole job on this machine.

stage and check the data -> build the production pipeline definition -> run it with the local
runner -> (the Register step files the model; auto-approval per the environment) -> deploy the
latest approved version to a local endpoint and invoke it -> batch-transform the test split ->
one summary. Each arrow calls one module; this file only sequences them and collects results.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from ml_containers.schema import DatasetSchema

from orchestrator.backends.local.batch_transform import DataProcessing, run_batch_transform
from orchestrator.backends.local.csv_jsonpath import parse_filter
from orchestrator.backends.local.endpoint import LocalEndpoint
from orchestrator.backends.local.executions import Execution
from orchestrator.backends.local.progress import ProgressEvent
from orchestrator.backends.local.serving_errors import (
    BatchTransformError,
    EndpointError,
    InvocationError,
)
from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.data.staging import stage_dataset
from orchestrator.errors import UserError
from orchestrator.pipeline import build_definition, names
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.pipeline import pipeline_config

SAMPLE_ROWS = 5


class ProgressPrinter:
    """Prints one line per pipeline event on a stream (stderr, so ``--output json`` stays clean)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, event: ProgressEvent) -> None:
        line = self.describe(event)
        if line:
            self.note(line)

    @staticmethod
    def describe(event: ProgressEvent) -> str | None:
        step = f"{event.step or '':<18}"
        if event.kind == "step_started":
            return f"{step}started"
        if event.kind == "step_succeeded":
            return f"{step}succeeded {event.message}".rstrip()
        if event.kind == "step_cached":
            return f"{step}reused from cache (execution {event.cache_source})"
        if event.kind == "step_failed":
            return f"{step}FAILED: {event.message}"
        if event.kind == "trial_finished":
            result = f"objective {event.objective:.6g}" if event.objective is not None else "failed"
            return f"{step}trial {event.trial}/{event.trials}: {result}"
        if event.kind == "execution_finished":
            return f"execution {event.execution_id} {event.status}"
        return None

    def note(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{elapsed:6.1f}s] {message}\n")
        self.stream.flush()


def run_local(
    config: EnvironmentConfig,
    data: Path | None = None,
    schema: Path | None = None,
    progress_stream: TextIO = sys.stderr,
) -> tuple[dict[str, Any], int]:
    """Run the whole local job; returns (summary, exit code)."""
    if config.backend != "local":
        raise UserError(
            f"environment {config.name} uses the {config.backend} backend; this build runs "
            "pipelines locally only (use --env local, or an environment file with backend: local)"
        )
    started = time.monotonic()
    workspace = LocalWorkspace(config)
    printer = ProgressPrinter(progress_stream)
    staged = stage_dataset(
        config, workspace.store, workspace.outputs.data_bucket, data=data, schema=schema
    )
    printer.note(
        f"data: {staged.source} ({staged.check.rows_checked} rows checked against schema "
        f"{staged.name!r}, {staged.check.rows_rejected} will be quarantined)"
    )
    definition = build_definition(
        pipeline_config(
            config, staged.schema, staged.data_uri, staged.schema_uri, config.pipeline_name
        ),
        workspace.outputs,
    )
    overrides: dict[str, Any] = {}
    if config.pipeline.metric_threshold is not None:
        overrides["MetricThreshold"] = config.pipeline.metric_threshold
    runner = workspace.runner(progress=printer)
    execution = runner.start(definition.to_json(), overrides, definition.pipeline_name)

    summary: dict[str, Any] = {
        "environment": config.name,
        "dataset": {"name": staged.name, "source": staged.source, "uri": staged.data_uri},
        "execution": execution_summary(execution),
    }
    summary["best_hyperparameters"] = best_hyperparameters(execution)
    if execution.status != "Succeeded":
        summary["duration_seconds"] = round(time.monotonic() - started, 1)
        return summary, 1

    registry = workspace.registry()
    package = registered_package(execution, registry, workspace.model_group)
    summary["model_package"] = package_summary(package) if package else None
    summary["metrics"] = dict(package.metrics) if package else {}
    served = registry.latest_approved(workspace.model_group)
    if served is None:
        summary["endpoint"] = {
            "status": "skipped",
            "reason": "no Approved model version yet; approve one with "
            f"'orchestrator models approve <version> --env {config.name}'",
        }
        summary["duration_seconds"] = round(time.monotonic() - started, 1)
        return summary, 0

    batch_input = batch_input_path(workspace, execution)
    processing = id_column_processing(staged.schema)
    exit_code = 0
    try:
        with LocalEndpoint(
            workspace.store_root,
            workspace.endpoints_root,
            workers=config.endpoint.workers or 1,
        ) as endpoint:
            printer.note(f"deploying model version {served.version} to a local endpoint")
            endpoint.deploy(served)
            summary["endpoint"] = check_endpoint(endpoint, batch_input, processing)
            printer.note(f"endpoint answered: {summary['endpoint']['sample_prediction']}")
            output = workspace.batch_root / execution.execution_id / f"{batch_input.name}.out"
            output.parent.mkdir(parents=True, exist_ok=True)
            result = run_batch_transform(
                batch_input, output, endpoint_url=endpoint.url, data_processing=processing
            )
            summary["batch_transform"] = {
                "input": str(batch_input),
                "output": str(result.output_path),
                "records": result.records,
                "requests": result.requests,
                "data_processing": asdict(processing),
            }
            printer.note(f"batch transform wrote {result.records} lines to {result.output_path}")
    except (EndpointError, InvocationError, BatchTransformError) as exc:
        summary.setdefault("endpoint", {"status": "failed"})
        summary["error"] = str(exc)
        exit_code = 1
    summary["duration_seconds"] = round(time.monotonic() - started, 1)
    return summary, exit_code


def execution_summary(execution: Execution) -> dict[str, Any]:
    return {
        "id": execution.execution_id,
        "status": execution.status,
        "failure_reason": execution.failure_reason,
        "steps": [
            {
                "name": step.name,
                "status": step.status,
                "cached": step.cache_hit_source is not None,
                "seconds": round((step.end_time - step.start_time).total_seconds(), 2)
                if step.end_time
                else None,
                "failure_reason": step.failure_reason,
            }
            for step in execution.steps
        ],
    }


def best_hyperparameters(execution: Execution) -> dict[str, Any]:
    tune = next((s for s in execution.steps if s.name == names.TUNE), None)
    if tune is None or "BestTrainingJob" not in tune.properties:
        return {}
    best = tune.properties["BestTrainingJob"]
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    return {
        "training_job": best.get("TrainingJobName"),
        "objective": {objective.get("MetricName", "objective"): objective.get("Value")},
        "hyperparameters": best.get("TunedHyperParameters", {}),
    }


def registered_package(execution: Execution, registry: Any, group: str) -> ModelPackage | None:
    step = next((s for s in execution.steps if s.name == names.REGISTER), None)
    if step is None or step.status != "Succeeded":
        return None
    version = step.properties.get("ModelPackageVersion")
    return registry.get(group, int(version)) if version is not None else None


def package_summary(package: ModelPackage) -> dict[str, Any]:
    return {
        "group": package.group,
        "version": package.version,
        "arn": package.arn,
        "approval_status": package.approval_status,
        "model_data_url": package.model_data_url,
    }


def batch_input_path(workspace: LocalWorkspace, execution: Execution) -> Path:
    """The Preprocess step's raw test rows (``batch/batch.csv``) in the local store."""
    preprocess = next(s for s in execution.steps if s.name == names.PREPROCESS)
    for output in preprocess.properties["ProcessingOutputConfig"]["Outputs"]:
        if output["OutputName"] == "batch":
            return workspace.local_path(output["S3Output"]["S3Uri"]) / "batch.csv"
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
    endpoint: LocalEndpoint, batch_input: Path, processing: DataProcessing | None = None
) -> dict[str, Any]:
    """Send a few real test rows; the endpoint must answer 200 with one prediction per row."""
    with batch_input.open("rb") as handle:
        rows = [line for _, line in zip(range(SAMPLE_ROWS), handle, strict=False)]
    if processing is not None:
        rows = [_model_input(row, processing) for row in rows]
    body = b"".join(rows)
    started = time.perf_counter()
    answer = endpoint.invoke(body, content_type="text/csv", accept="application/json")
    latency_ms = (time.perf_counter() - started) * 1000
    predictions = answer.json()["predictions"]
    if len(predictions) != len(rows):
        raise EndpointError(
            f"the endpoint returned {len(predictions)} predictions for {len(rows)} rows"
        )
    return {
        "status": "ok",
        "url": endpoint.url,
        "model_version": answer.model_version,
        "rows_sent": len(rows),
        "latency_ms": round(latency_ms, 1),
        "sample_prediction": predictions[0],
    }
