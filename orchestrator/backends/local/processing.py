"""A Processing step: a CreateProcessingJob request run as a local subprocess.

Inputs are copied from the artifact store into each ``LocalPath`` (re-rooted under the step's own
``OPT_ML_ROOT``), the entrypoint runs with the job's arguments and environment, and only if it
exits 0 is each output's ``LocalPath`` published to its ``S3Uri``; a failed job publishes
nothing, as in SageMaker. The properties are DescribeProcessingJob's shape, so references such as
``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri`` resolve.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_containers.paths import SAGEMAKER_ROOT, reroot

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import ArtifactError, DefinitionError, StepFailed
from orchestrator.backends.local.jobs import (
    failure_reason,
    job_environment,
    resolve_program,
    run_job,
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
    started = datetime.now(UTC)
    app = arguments.get("AppSpecification") or {}
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise DefinitionError(
            f"step {step!r} has no AppSpecification.ContainerEntrypoint; the local runner has no "
            "image to take a default entrypoint from, so name the program (e.g. ['preprocess'])"
        )
    for item in arguments.get("ProcessingInputs") or []:
        _download_input(step, item, store, opt_ml_root)
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for output in outputs:
        _local(step, (output.get("S3Output") or {}).get("LocalPath"), opt_ml_root).mkdir(
            parents=True, exist_ok=True
        )
    (opt_ml_root / "output").mkdir(parents=True, exist_ok=True)

    command = [resolve_program(str(entrypoint[0]))]
    command += [_container_argument(a, opt_ml_root) for a in entrypoint[1:]]
    command += [_container_argument(a, opt_ml_root) for a in app.get("ContainerArguments") or []]
    limit = (arguments.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    result = run_job(
        command,
        env=job_environment(opt_ml_root, arguments.get("Environment") or {}),
        log_path=log_path,
        cwd=opt_ml_root,
        max_runtime_seconds=float(limit) if limit else None,
    )
    if result.exit_code != 0 or result.timed_out:
        raise StepFailed(
            failure_reason(result, opt_ml_root / "output" / "message", log_path, limit)
        )

    published = _publish_outputs(step, outputs, store, opt_ml_root)
    message_file = opt_ml_root / "output" / "message"
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


def _publish_outputs(
    step: str, outputs: list[dict[str, Any]], store: ArtifactStore, root: Path
) -> list[str]:
    """Upload each ProcessingOutput's folder to its S3Uri, as SageMaker does at job end."""
    published = []
    for output in outputs:
        s3 = output.get("S3Output") or {}
        if not s3.get("S3Uri"):
            raise DefinitionError(f"step {step!r} output {output.get('OutputName')!r} has no S3Uri")
        local = _local(step, s3.get("LocalPath"), root)
        try:
            published.append(store.publish(local, str(s3["S3Uri"]).rstrip("/")))
        except ArtifactError as exc:
            raise StepFailed(f"cannot upload output {output.get('OutputName')!r}: {exc}") from None
    return published


def _download_input(step: str, item: dict[str, Any], store: ArtifactStore, root: Path) -> None:
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
    try:
        store.download(str(s3.get("S3Uri")), _local(step, s3.get("LocalPath"), root))
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
