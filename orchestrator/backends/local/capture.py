"""Data capture on the local endpoint: the ``serve`` program's DATA_CAPTURE_* variables.

The endpoint settings' ``data_capture_percent`` applies locally as on SageMaker; the files go
to the capture prefix of the local artifact store (``settings/capture.py``), laid out as
SageMaker lays them out, so ``monitor run`` reads them as it would read S3.
"""

from __future__ import annotations

from orchestrator.backends.local.workspace import LocalWorkspace
from orchestrator.settings.capture import capture_prefix


def capture_environment(workspace: LocalWorkspace) -> dict[str, str]:
    """The variables that turn capture on in ``serve``; empty when the percentage is 0."""
    settings = workspace.config.endpoint
    if settings.data_capture_percent == 0:
        return {}
    return {
        "DATA_CAPTURE_DIR": str(workspace.local_path(capture_prefix(workspace.outputs)).resolve()),
        "DATA_CAPTURE_PERCENT": str(settings.data_capture_percent),
        "DATA_CAPTURE_ENDPOINT": workspace.outputs.endpoint_name,
        "DATA_CAPTURE_VARIANT": settings.variant_name,
    }
