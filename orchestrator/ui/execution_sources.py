"""What an execution ran, beyond :class:`ExecutionSummary`: its definition (for the step graph),
its parameters and each step's log lines.

The protocols do not carry these, so they are read where each backend keeps them: the local
runner's execution folder (``definition.json``, ``execution.json``, ``logs/``), or SageMaker's
DescribePipelineDefinitionForExecution and ListPipelineParametersForExecution (the steps' logs
are in CloudWatch Logs; the page names the log groups instead of copying them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend, ExecutionSummary
from orchestrator.settings.environment import EnvironmentConfig

LOG_TAIL_LINES = 200
_LOCAL_ID = re.compile(r"^[a-z0-9]{6,40}$")  # the local runner's ids; never a path


def _local_folder(config: EnvironmentConfig, execution_id: str) -> Path | None:
    if not _LOCAL_ID.fullmatch(execution_id):
        return None
    from orchestrator.backends.local.workspace import LocalWorkspace

    folder = LocalWorkspace(config).state_root / "executions" / execution_id
    return folder if folder.is_dir() else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def definition(backend: Backend, config: EnvironmentConfig, execution_id: str) -> dict[str, Any]:
    """The pipeline definition the execution ran ({} when it cannot be read)."""
    if backend.name == "local":
        folder = _local_folder(config, execution_id)
        return _read_json(folder / "definition.json") if folder else {}
    sagemaker = getattr(backend.pipelines, "sagemaker", None)
    if sagemaker is None:
        return {}
    answer = sagemaker.describe_pipeline_definition_for_execution(PipelineExecutionArn=execution_id)
    try:
        parsed = json.loads(answer.get("PipelineDefinition") or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def parameters(backend: Backend, config: EnvironmentConfig, execution_id: str) -> dict[str, str]:
    """The execution's parameter values, as text."""
    if backend.name == "local":
        folder = _local_folder(config, execution_id)
        record = _read_json(folder / "execution.json") if folder else {}
        values = record.get("parameters") or {}
        return {str(k): str(v) for k, v in sorted(values.items())}
    sagemaker = getattr(backend.pipelines, "sagemaker", None)
    if sagemaker is None:
        return {}
    found: dict[str, str] = {}
    request: dict[str, Any] = {"PipelineExecutionArn": execution_id}
    while True:
        page = sagemaker.list_pipeline_parameters_for_execution(**request)
        for item in page.get("PipelineParameters", []):
            found[str(item["Name"])] = str(item["Value"])
        if not page.get("NextToken"):
            return dict(sorted(found.items()))
        request["NextToken"] = page["NextToken"]


def step_logs(execution: ExecutionSummary, step: str) -> list[dict[str, str]]:
    """The step's log files (the last lines of each); on SageMaker, where its logs are."""
    folder = Path(execution.logs) if execution.logs and execution.logs.startswith("/") else None
    if folder is None or not folder.is_dir():
        where = execution.logs or "the job's CloudWatch log group"
        return [{"name": "logs", "text": f"in {where} (not copied into this page)"}]
    files = [folder / f"{step}.log", *sorted(folder.glob(f"{step}.*.log"))]
    logs = []
    for path in files:
        if path.is_file():
            lines = path.read_text(errors="replace").splitlines()
            logs.append({"name": path.name, "text": "\n".join(lines[-LOG_TAIL_LINES:])})
    return logs
