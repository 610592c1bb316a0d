"""One training job (a Training step, or one trial of a Tuning step) run as local subprocesses,
one per instance (:mod:`orchestrator.backends.local.hosts`).

It lays out what SageMaker gives a training container under the job's own ``OPT_ML_ROOT``:
``input/config/{hyperparameters,inputdataconfig,resourceconfig}.json`` (hyperparameter values as
strings, as SageMaker passes them), each channel's data in ``input/data/<channel>``; runs the
training program with ``TRAINING_JOB_NAME`` set; reads metrics from the log with the job's own
``MetricDefinitions`` regexes; and, only on success, packs ``model/`` into
``<S3OutputPath>/<TrainingJobName>/output/model.tar.gz`` (atomically published).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_containers.bundle import MODEL_TAR, pack_model_dir

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import ArtifactError, DefinitionError, StepFailed
from orchestrator.backends.local.hosts import (
    check_distribution,
    collective_environment,
    download_shard,
    first_failure,
    free_port,
    host_log,
    host_names,
    host_root,
    instance_count,
    resource_config,
)
from orchestrator.backends.local.jobs import HostCommand, failure_reason, job_environment, run_jobs


@dataclass(frozen=True)
class TrainingRequest:
    """The parts of a CreateTrainingJob request (or a tuning job's TrainingJobDefinition plus one
    trial's hyperparameters) that a local run uses."""

    step: str
    job_name: str
    job_arn: str
    hyperparameters: dict[str, str]
    definition: dict[str, Any]  # AlgorithmSpecification, InputDataConfig, OutputDataConfig, ...
    threads: int


def compile_metric_definitions(
    step: str, definition: dict[str, Any]
) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for item in (definition.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []:
        try:
            compiled.append((str(item["Name"]), re.compile(str(item["Regex"]))))
        except (KeyError, re.error) as exc:
            raise DefinitionError(
                f"step {step!r} has an unusable MetricDefinitions entry {item!r}: {exc}"
            ) from None
    return compiled


def read_metrics(
    log_text: str, definitions: Sequence[tuple[str, re.Pattern[str]]]
) -> dict[str, float]:
    """The last value each metric regex's first group matched in the log, as SageMaker's final
    metric value."""
    found: dict[str, float] = {}
    for line in log_text.splitlines():
        for name, pattern in definitions:
            match = pattern.search(line)
            if not match:
                continue
            try:
                found[name] = float(match.group(1) if match.groups() else match.group(0))
            except ValueError:
                continue
    return found


def run_training_job(
    request: TrainingRequest,
    *,
    store: ArtifactStore,
    opt_ml_root: Path,
    log_path: Path,
    train_command: Sequence[str],
) -> dict[str, Any]:
    """Run the job on ``ResourceConfig.InstanceCount`` hosts; returns DescribeTrainingJob-shaped
    properties or raises StepFailed naming the host that failed and its log."""
    started = datetime.now(UTC)
    definition = request.definition
    metric_definitions = compile_metric_definitions(request.step, definition)
    output_path = (definition.get("OutputDataConfig") or {}).get("S3OutputPath")
    if not output_path:
        raise DefinitionError(f"step {request.step!r} has no OutputDataConfig.S3OutputPath")
    first_root = _run_hosts(request, store, opt_ml_root, log_path, train_command)
    model_uri = _publish_model(request, output_path, store, first_root, log_path)
    ended = datetime.now(UTC)
    metrics = read_metrics(log_path.read_text(errors="replace"), metric_definitions)
    return {
        **{k: v for k, v in definition.items() if k != "StaticHyperParameters"},
        "TrainingJobName": request.job_name,
        "TrainingJobArn": request.job_arn,
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "HyperParameters": request.hyperparameters,
        "ModelArtifacts": {"S3ModelArtifacts": model_uri},
        "FinalMetricDataList": [
            {"MetricName": name, "Value": value, "Timestamp": ended.isoformat()}
            for name, value in metrics.items()
        ],
        "TrainingStartTime": started.isoformat(),
        "TrainingEndTime": ended.isoformat(),
        "TrainingTimeInSeconds": max(1, round((ended - started).total_seconds())),
    }


def _run_hosts(
    request: TrainingRequest,
    store: ArtifactStore,
    opt_ml_root: Path,
    log_path: Path,
    train_command: Sequence[str],
) -> Path:
    """Lay out and run every host; the first host's root, or StepFailed naming the host."""
    definition = request.definition
    resources = definition.get("ResourceConfig") or {}
    count = instance_count(request.step, resources.get("InstanceCount"), "InstanceCount")
    hosts = host_names(count)
    roots = [host_root(opt_ml_root, host, count) for host in hosts]
    for index, root in enumerate(roots):
        _lay_out(request, store, root, index, count)
    limit = (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    threads = max(1, request.threads // count)
    environment = {
        **{str(k): str(v) for k, v in (definition.get("Environment") or {}).items()},
        "TRAINING_JOB_NAME": request.job_name,
        "OMP_NUM_THREADS": str(threads),
        "SM_NUM_CPUS": str(threads),
        "SM_HOSTS": json.dumps(hosts),
        **(collective_environment(free_port()) if count > 1 else {}),
    }
    commands = [
        HostCommand(
            list(train_command),
            job_environment(root, {**environment, "SM_CURRENT_HOST": host}),
            host_log(log_path, host, count),
            root,
            host if count > 1 else None,
        )
        for host, root in zip(hosts, roots, strict=True)
    ]
    results = run_jobs(commands, max_runtime_seconds=float(limit) if limit else None)
    failed = first_failure(results)
    if failed is not None:
        reason = failure_reason(
            results[failed], roots[failed] / "output" / "failure", commands[failed].log_path, limit
        )
        raise StepFailed(f"host {hosts[failed]} of {count}: {reason}" if count > 1 else reason)
    return roots[0]


def _publish_model(
    request: TrainingRequest, output_path: Any, store: ArtifactStore, root: Path, log_path: Path
) -> str:
    """Pack the first host's /opt/ml/model as model.tar.gz and upload it where SageMaker puts
    it; its URI."""
    model_dir = root / "model"
    if not any(model_dir.iterdir()):
        raise StepFailed(f"the training program wrote nothing to /opt/ml/model (log: {log_path})")
    archive = pack_model_dir(model_dir, root / "packed" / MODEL_TAR)
    model_uri = f"{str(output_path).rstrip('/')}/{request.job_name}/output/{MODEL_TAR}"
    try:
        store.publish(archive, model_uri)
    except ArtifactError as exc:
        raise StepFailed(f"cannot upload the model: {exc}") from None
    return model_uri


def _lay_out(
    request: TrainingRequest, store: ArtifactStore, root: Path, index: int, count: int
) -> None:
    """Host ``index``'s /opt/ml: config files, its channels (sharded ones cut to its share)."""
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "output").mkdir(parents=True, exist_ok=True)
    definition = request.definition
    mode = (definition.get("AlgorithmSpecification") or {}).get("TrainingInputMode", "File")
    channels: dict[str, Any] = {}
    for channel in definition.get("InputDataConfig") or []:
        name = channel.get("ChannelName")
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        if not name or not source.get("S3Uri"):
            raise DefinitionError(
                f"step {request.step!r}: every InputDataConfig channel needs a ChannelName and "
                "DataSource.S3DataSource.S3Uri (the local runner reads S3 channels only)"
            )
        distribution = check_distribution(request.step, name, source.get("S3DataDistributionType"))
        target = root / "input" / "data" / str(name)
        try:
            download_shard(store, str(source["S3Uri"]), target, distribution, index, count)
        except ArtifactError as exc:
            raise StepFailed(f"ClientError: channel {name!r}: {exc}") from None
        channels[name] = {
            "ContentType": channel.get("ContentType", ""),
            "TrainingInputMode": channel.get("InputMode", mode),
            "S3DistributionType": distribution,
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
    instance_type = (definition.get("ResourceConfig") or {}).get("InstanceType", "local")
    resource = resource_config(host_names(count)[index], count, instance_type)
    (config / "hyperparameters.json").write_text(json.dumps(request.hyperparameters, indent=2))
    (config / "inputdataconfig.json").write_text(json.dumps(channels, indent=2))
    (config / "resourceconfig.json").write_text(json.dumps(resource, indent=2))
