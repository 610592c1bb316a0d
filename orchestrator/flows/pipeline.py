"""Pipeline flows: choose the data, build the definition, upsert it, start and wait.

Written once against :class:`~orchestrator.backends.base.Backend`: the same definition goes to
the local runner and to SageMaker. The data differs only by where it lives: an aws environment
trains on S3 objects named in its file; a local one stages a CSV (or a bundled demo dataset)
into its store after checking it against the schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ml_containers.schema import DatasetSchema, SchemaError, parse_schema

from orchestrator.backends.base import Backend, ExecutionSummary, UnknownExecution, UpsertResult
from orchestrator.backends.polling import PollSettings
from orchestrator.data.staging import stage_dataset
from orchestrator.errors import UserError
from orchestrator.pipeline import PipelineDefinition, build_definition, names
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.pipeline import pipeline_config
from orchestrator.settings.stack_outputs import StackOutputs

DEFAULT_PIPELINE_TIMEOUT_SECONDS = 6 * 3600.0


@dataclass(frozen=True)
class Dataset:
    """The data a run trains on, as the pipeline sees it (``s3://`` prefixes)."""

    name: str
    source: str
    data_uri: str
    schema_uri: str
    schema: DatasetSchema
    note: str = ""  # what was checked, for the progress line


def choose_dataset(
    backend: Backend, config: EnvironmentConfig, data: Path | None, schema: Path | None
) -> Dataset:
    """The environment's dataset, or ``--data``/``--schema``: S3 data is read where it is; a
    local CSV or demo dataset is checked and staged into the backend's store."""
    if config.dataset.data.startswith("s3://"):
        if data is not None or schema is not None:
            raise UserError(
                "--data/--schema are for local environments; an aws environment trains on "
                f"dataset.data and dataset.schema (S3) from environments/{config.name}.yaml"
            )
        uri = str(config.dataset.schema_file)
        parsed = read_dataset_schema(backend, uri)
        return Dataset(parsed.name, config.dataset.data, config.dataset.data, uri, parsed)
    staged = stage_dataset(
        config, backend.artifacts, backend.outputs.data_bucket, data=data, schema=schema
    )
    note = (
        f"data: {staged.source} ({staged.check.rows_checked} rows checked against schema "
        f"{staged.name!r}, {staged.check.rows_rejected} will be quarantined)"
    )
    hosts = config.pipeline.processing.instance_count
    if hosts > staged.files:
        # ShardedByS3Key hands out whole objects: the extra hosts get none (docs/scaling.md).
        note += (
            f"; preprocessing.instance_count is {hosts} but the data is {staged.files} file(s), "
            f"so {hosts - staged.files} preprocessing host(s) will have no rows: pass --data a "
            f"folder of at least {hosts} CSV files to share the work"
        )
    return Dataset(
        staged.name, staged.source, staged.data_uri, staged.schema_uri, staged.schema, note
    )


def read_dataset_schema(backend: Backend, uri: str) -> DatasetSchema:
    """The dataset schema file at an ``s3://`` URI (YAML or JSON), validated."""
    key = uri.removeprefix("s3://").partition("/")[2]
    if not key or key.endswith("/"):
        raise UserError(
            f"dataset.schema {uri} must name the schema file itself (…/schema.yaml), not a prefix"
        )
    if not backend.artifacts.exists(uri):
        raise UserError(
            f"the dataset schema {uri} does not exist; upload it (e.g. `aws s3 cp "
            f"schema.yaml {uri}`) or fix dataset.schema in the environment file"
        )
    body = backend.artifacts.read_bytes(uri)
    try:
        text = body.decode()
        data = json.loads(text) if key.endswith(".json") else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"the dataset schema {uri} is not readable YAML/JSON: {exc}") from None
    try:
        return parse_schema(data, uri)
    except SchemaError as exc:
        raise UserError(str(exc)) from None


def image(backend: Backend, requested: str | None) -> str:
    """The image the pipeline will run, resolved from ``--image`` (None: this commit's) by the
    backend: on AWS pinned by digest, and refused (exit 2) when the repository lacks it. Flows
    call this first, before staging data or changing anything."""
    return backend.images.for_pipeline(requested)


def definition(
    backend: Backend, config: EnvironmentConfig, dataset: Dataset, image_uri: str | None = None
) -> PipelineDefinition:
    """The pipeline definition for ``dataset``, named as the stack names the pipeline (the only
    name its IAM policies allow), running ``image_uri`` (default: :func:`image` of this
    commit)."""
    return build_for(config, backend.outputs, dataset, image_uri or image(backend, None))


def build_for(
    config: EnvironmentConfig, outputs: StackOutputs, dataset: Dataset, image_uri: str
) -> PipelineDefinition:
    """The definition of ``dataset`` on the stack of ``outputs``, running ``image_uri``: no
    backend needed (``pipeline definition`` builds it from files alone)."""
    if config.pipeline.name and config.pipeline.name != outputs.pipeline_name:
        raise UserError(
            f"pipeline.name {config.pipeline.name!r} differs from the stack's pipeline_name "
            f"{outputs.pipeline_name!r}, the only name the IAM policies allow; remove pipeline.name"
        )
    settings = pipeline_config(
        config,
        dataset.schema,
        dataset.data_uri,
        dataset.schema_uri,
        outputs.pipeline_name,
        image_uri=image_uri,
    )
    return build_definition(settings, outputs)


def upsert(
    backend: Backend, config: EnvironmentConfig, dataset: Dataset, image_uri: str | None = None
) -> dict[str, Any]:
    """Create or update the pipeline running ``image_uri`` (see :func:`definition`); what was
    done, with the definition's diff."""
    built = definition(backend, config, dataset, image_uri)
    result: UpsertResult = backend.pipelines.upsert(
        built,
        description=f"{config.project} {config.name} training pipeline",
        tags={"project": config.project, "environment": config.name},
    )
    return {
        "pipeline": result.pipeline_name,
        "arn": result.pipeline_arn,
        "action": result.action,
        "image": built.image,
        "diff": result.diff,
    }


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` flags -> overrides (types are checked against the pipeline's parameters)."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"--parameter {pair!r} must be NAME=VALUE, e.g. MaxTuningJobs=4")
        overrides[name.strip()] = value.strip()
    if names.GATE_METRIC in overrides and names.METRIC_THRESHOLD not in overrides:
        # The default threshold belongs to the schema's metric: 0.75 means nothing for rmse.
        raise UserError(
            f"--parameter {names.GATE_METRIC}={overrides[names.GATE_METRIC]} needs its own "
            f"threshold: add --parameter {names.METRIC_THRESHOLD}=VALUE (the default threshold "
            "is the schema's, for the schema's gate metric)"
        )
    return overrides


def start(backend: Backend, config: EnvironmentConfig, overrides: Mapping[str, Any]) -> str:
    """Start an execution; the environment's metric threshold unless overridden, and the
    version of the data it reads (:func:`data_version`)."""
    if names.INPUT_DATA_VERSION in overrides:
        raise UserError(
            f"--parameter {names.INPUT_DATA_VERSION} is set by the orchestrator: a digest of the "
            f"objects under {names.INPUT_DATA}, so that Preprocess's cached result is reused only "
            "for the same data. Remove it; to train on other data, upload it or pass "
            f"--parameter {names.INPUT_DATA}=s3://..."
        )
    merged: dict[str, Any] = {}
    if config.pipeline.metric_threshold is not None:
        merged["MetricThreshold"] = config.pipeline.metric_threshold
    merged.update(overrides)
    version = data_version(backend, config, overrides)
    if version is not None:
        merged[names.INPUT_DATA_VERSION] = version
    return backend.pipelines.start(
        backend.outputs.pipeline_name, merged, description=f"orchestrator {config.name}"
    )


def data_version(
    backend: Backend, config: EnvironmentConfig, overrides: Mapping[str, Any]
) -> str | None:
    """The ``InputDataVersion`` of an execution: a digest of the objects under the InputData it
    reads (``--parameter InputData=...``, else the environment's S3 prefix, which
    :func:`choose_dataset` puts in the definition). SageMaker's step cache key holds the
    prefix but not the objects under it, so without this new data under a fixed prefix would
    reuse Preprocess's old result. None for staged data: its content-addressed prefix
    (:mod:`orchestrator.data.staging`) is its version. An empty prefix is refused (exit 2)."""
    uri = overrides.get(names.INPUT_DATA)
    if uri is None and config.dataset.data.startswith("s3://"):
        uri = config.dataset.data
    if uri is None:
        return None
    version = backend.artifacts.fingerprint(str(uri))
    if version is None:
        where = (
            f"--parameter {names.INPUT_DATA}"
            if names.INPUT_DATA in overrides
            else f"dataset.data in environments/{config.name}.yaml"
        )
        raise UserError(
            f"no data under {uri}: the pipeline's Preprocess step would read nothing. Upload "
            f"the CSV(s) there (e.g. `aws s3 cp data.csv {str(uri).rstrip('/')}/`), or point "
            f"{where} at the prefix that holds them"
        )
    return version


def latest_execution(backend: Backend) -> ExecutionSummary:
    executions = backend.pipelines.list_executions(backend.outputs.pipeline_name)
    if not executions:
        raise UserError(
            f"pipeline {backend.outputs.pipeline_name} has no executions yet; start one with "
            "`orchestrator run` (or `orchestrator pipeline start`)"
        )
    return executions[0]


def list_executions(backend: Backend) -> list[ExecutionSummary]:
    return backend.pipelines.list_executions(None)


def find_execution(backend: Backend, execution_id: str) -> ExecutionSummary:
    """One execution by id, or ``latest``."""
    if execution_id == "latest":
        executions = backend.pipelines.list_executions(None)
        if not executions:
            raise UserError("there are no executions yet; start one with 'orchestrator run'")
        execution_id = executions[0].id
    try:
        return backend.pipelines.describe(execution_id)
    except UnknownExecution as exc:
        raise UserError(f"{exc}; list them with 'orchestrator executions list'") from None


def wait(
    backend: Backend, execution_id: str, poll: PollSettings, progress: Callable[[str], None]
) -> tuple[ExecutionSummary, int]:
    """(the ended execution, exit code): 0 Succeeded, 1 Failed or Stopped."""

    def report(state: ExecutionSummary) -> None:
        running = [s.name for s in state.steps if s.status in ("Executing", "Starting")]
        done = sum(1 for s in state.steps if s.status == "Succeeded")
        progress(
            f"execution {state.status}: {done} steps succeeded"
            + (f", running {', '.join(running)}" if running else "")
        )

    final = backend.pipelines.wait(execution_id, poll, progress=report)
    return final, 0 if final.succeeded else 1


def poll_settings(timeout_seconds: float, interval_seconds: float) -> PollSettings:
    try:
        return PollSettings(timeout_seconds=timeout_seconds, interval_seconds=interval_seconds)
    except ValueError as exc:
        raise UserError(f"{exc}; pass a positive --timeout and --poll-interval") from None
