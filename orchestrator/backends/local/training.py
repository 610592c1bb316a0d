"""One training job (a Training step, or one trial of a Tuning step) run as a local subprocess.

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
from orchestrator.backends.local.jobs import failure_reason, job_environment, run_job

HOST = "algo-1"


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
    """Run the job; returns DescribeTrainingJob-shaped properties or raises StepFailed."""
    started = datetime.now(UTC)
    definition = request.definition
    metric_definitions = compile_metric_definitions(request.step, definition)
    output_path = (definition.get("OutputDataConfig") or {}).get("S3OutputPath")
    if not output_path:
        raise DefinitionError(f"step {request.step!r} has no OutputDataConfig.S3OutputPath")
    _lay_out(request, store, opt_ml_root)

    limit = (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    environment = {
        **{str(k): str(v) for k, v in (definition.get("Environment") or {}).items()},
        "TRAINING_JOB_NAME": request.job_name,
        "OMP_NUM_THREADS": str(request.threads),
        "SM_NUM_CPUS": str(request.threads),
    }
    result = run_job(
        list(train_command),
        env=job_environment(opt_ml_root, environment),
        log_path=log_path,
        cwd=opt_ml_root,
        max_runtime_seconds=float(limit) if limit else None,
    )
    if result.exit_code != 0 or result.timed_out:
        raise StepFailed(
            failure_reason(result, opt_ml_root / "output" / "failure", log_path, limit)
        )
    model_uri = _publish_model(request, output_path, store, opt_ml_root, log_path)
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


def _publish_model(
    request: TrainingRequest, output_path: Any, store: ArtifactStore, root: Path, log_path: Path
) -> str:
    """Pack /opt/ml/model as model.tar.gz and upload it where SageMaker puts it; its URI."""
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


def _lay_out(request: TrainingRequest, store: ArtifactStore, root: Path) -> None:
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
        try:
            store.download(str(source["S3Uri"]), root / "input" / "data" / str(name))
        except ArtifactError as exc:
            raise StepFailed(f"ClientError: channel {name!r}: {exc}") from None
        channels[name] = {
            "ContentType": channel.get("ContentType", ""),
            "TrainingInputMode": channel.get("InputMode", mode),
            "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
    instance_type = (definition.get("ResourceConfig") or {}).get("InstanceType", "local")
    resource = {
        "current_host": HOST,
        "hosts": [HOST],
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "instance_groups": [
            {
                "instance_group_name": "homogeneousCluster",
                "instance_type": instance_type,
                "hosts": [HOST],
            }
        ],
        "network_interface_name": "eth0",
    }
    (config / "hyperparameters.json").write_text(json.dumps(request.hyperparameters, indent=2))
    (config / "inputdataconfig.json").write_text(json.dumps(channels, indent=2))
    (config / "resourceconfig.json").write_text(json.dumps(resource, indent=2))
