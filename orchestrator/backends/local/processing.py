"""A Processing step: a CreateProcessingJob request run as local subprocesses, one per instance.

Inputs are copied from the artifact store into each ``LocalPath`` (re-rooted under the step's own
``OPT_ML_ROOT``), the entrypoint runs with the job's arguments and environment, and only if it
exits 0 is each output's ``LocalPath`` published to its ``S3Uri``; a failed job publishes
nothing, as in SageMaker. The properties are DescribeProcessingJob's shape, so references such as
``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri`` resolve.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_containers.paths import SAGEMAKER_ROOT, reroot

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
from orchestrator.backends.local.jobs import (
    HostCommand,
    failure_reason,
    job_environment,
    resolve_program,
    run_jobs,
)
from orchestrator.backends.local.outcome import StepOutcome


def run_processing(
    step: str,
    arguments: dict[str, Any],
    *,
    store: ArtifactStore,
    opt_ml_root: Path,
    log_path: Path,
    job_name: str,
    job_arn: str,
) -> StepOutcome:
    """Run the job on ``ClusterConfig.InstanceCount`` hosts (one process each,
    :mod:`orchestrator.backends.local.hosts`); publish every host's outputs only if all
    succeeded."""
    started = datetime.now(UTC)
    app = arguments.get("AppSpecification") or {}
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise DefinitionError(
            f"step {step!r} has no AppSpecification.ContainerEntrypoint; the local runner has no "
            "image to take a default entrypoint from, so name the program (e.g. ['preprocess'])"
        )
    cluster = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    count = instance_count(step, cluster.get("InstanceCount"), "ClusterConfig.InstanceCount")
    hosts = host_names(count)
    roots = [host_root(opt_ml_root, host, count) for host in hosts]
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for index, root in enumerate(roots):
        _lay_out(step, arguments, store, root, index, count)
    environment = _hosts_environment(arguments, count)
    commands = [
        HostCommand(
            [resolve_program(str(entrypoint[0]))]
            + [_container_argument(a, root) for a in entrypoint[1:]]
            + [_container_argument(a, root) for a in app.get("ContainerArguments") or []],
            job_environment(root, environment),
            host_log(log_path, host, count),
            root,
            host if count > 1 else None,
        )
        for host, root in zip(hosts, roots, strict=True)
    ]
    limit = (arguments.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    results = run_jobs(commands, max_runtime_seconds=float(limit) if limit else None)
    failed = first_failure(results)
    if failed is not None:
        message = roots[failed] / "output" / "message"
        reason = failure_reason(results[failed], message, commands[failed].log_path, limit)
        raise StepFailed(f"host {hosts[failed]} of {count}: {reason}" if count > 1 else reason)
    published = _publish_outputs(step, outputs, store, roots)
    message_file = roots[0] / "output" / "message"
    properties = {
        **arguments,
        "ProcessingJobName": job_name,
        "ProcessingJobArn": job_arn,
        "ProcessingJobStatus": "Completed",
        "ExitMessage": message_file.read_text().strip() if message_file.is_file() else "",
        "ProcessingStartTime": started.isoformat(),
        "ProcessingEndTime": datetime.now(UTC).isoformat(),
    }
    return StepOutcome(properties, published)


def _hosts_environment(arguments: dict[str, Any], count: int) -> dict[str, str]:
    """The job's Environment; on several hosts also where they find the collective's tracker
    (the first host) on 127.0.0.1 at a port of their own, as training jobs do (preprocess
    exchanges through it, docs/scaling.md)."""
    environment = {str(k): str(v) for k, v in (arguments.get("Environment") or {}).items()}
    if count > 1:
        environment |= collective_environment(free_port())
    return environment


def _lay_out(
    step: str, arguments: dict[str, Any], store: ArtifactStore, root: Path, index: int, count: int
) -> None:
    """Host ``index``'s /opt/ml: its inputs (sharded ones cut to its share), empty output
    folders and ``config/resourceconfig.json`` as SageMaker writes it for processing jobs."""
    for item in arguments.get("ProcessingInputs") or []:
        _download_input(step, item, store, root, index, count)
    for output in (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        _local(step, (output.get("S3Output") or {}).get("LocalPath"), root).mkdir(
            parents=True, exist_ok=True
        )
    (root / "output").mkdir(parents=True, exist_ok=True)
    cluster = (arguments.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    resource = resource_config(host_names(count)[index], count, cluster.get("InstanceType", ""))
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "resourceconfig.json").write_text(json.dumps(resource, indent=2))


def _publish_outputs(
    step: str, outputs: list[dict[str, Any]], store: ArtifactStore, roots: list[Path]
) -> list[str]:
    """Upload each ProcessingOutput's folder to its S3Uri, as SageMaker does at job end. On
    several hosts every host's folder goes to the same prefix; where two hosts wrote the same
    file name, one object survives on SageMaker, and here the first host's."""
    published = []
    for output in outputs:
        s3 = output.get("S3Output") or {}
        if not s3.get("S3Uri"):
            raise DefinitionError(f"step {step!r} output {output.get('OutputName')!r} has no S3Uri")
        local = _local(step, s3.get("LocalPath"), roots[0])
        for other in roots[1:]:
            _merge_into(local, _local(step, s3.get("LocalPath"), other))
        try:
            published.append(store.publish(local, str(s3["S3Uri"]).rstrip("/")))
        except ArtifactError as exc:
            raise StepFailed(f"cannot upload output {output.get('OutputName')!r}: {exc}") from None
    return published


def _merge_into(target: Path, source: Path) -> None:
    """Copy the files of ``source`` that ``target`` lacks (by relative path) into it."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_file() and not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def _download_input(
    step: str, item: dict[str, Any], store: ArtifactStore, root: Path, index: int, count: int
) -> None:
    name = item.get("InputName")
    s3 = item.get("S3Input")
    if not s3:
        raise DefinitionError(
            f"step {step!r} input {name!r} has no S3Input; the local runner supports S3 inputs only"
        )
    if s3.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise DefinitionError(
            f"step {step!r} input {name!r} uses S3DataType {s3.get('S3DataType')!r}; the local "
            "runner supports S3Prefix"
        )
    if s3.get("S3CompressionType", "None") not in ("None", None):
        raise DefinitionError(f"step {step!r} input {name!r}: only S3CompressionType None")
    distribution = check_distribution(step, name, s3.get("S3DataDistributionType"))
    target = _local(step, s3.get("LocalPath"), root)
    try:
        download_shard(store, str(s3.get("S3Uri")), target, distribution, index, count)
    except ArtifactError as exc:
        raise StepFailed(f"ClientError: input {name!r}: {exc}") from None


def _local(step: str, container_path: Any, root: Path) -> Path:
    try:
        return Path(reroot(str(container_path), root))
    except ValueError as exc:
        raise DefinitionError(f"step {step!r}: {exc}") from None


def _container_argument(argument: Any, root: Path) -> str:
    """Arguments naming container paths (``/opt/ml/...``) point at the re-rooted copies."""
    text = str(argument)
    if text == str(SAGEMAKER_ROOT) or text.startswith(f"{SAGEMAKER_ROOT}/"):
        return str(reroot(text, root))
    return text
