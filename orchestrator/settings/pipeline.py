"""Environment file -> the pipeline builder's ``PipelineConfig``: one mapping shared by the local
and AWS runs, so both submit the same definition for the same settings.

Also the lineage value every registered model carries: the git commit of the code that built it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ml_containers.schema import DatasetSchema

from orchestrator import __version__
from orchestrator.pipeline import PipelineConfig
from orchestrator.pipeline.config import InferenceSettings
from orchestrator.settings.environment import EnvironmentConfig


def code_version() -> str:
    """The git commit of the code being run (lineage), or the package version outside git."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return f"v{__version__}"
    commit = found.stdout.strip() if found.returncode == 0 else ""
    return commit or f"v{__version__}"


def pipeline_config(
    config: EnvironmentConfig,
    schema: DatasetSchema,
    data_uri: str,
    schema_uri: str,
    pipeline_name: str | None = None,
    image_uri: str | None = None,
) -> PipelineConfig:
    """The builder's settings for ``config``'s environment and one dataset."""
    settings = config.pipeline
    return PipelineConfig(
        dataset=schema,
        input_data_uri=data_uri,
        schema_uri=schema_uri,
        code_version=code_version(),
        pipeline_name=pipeline_name,
        image_uri=image_uri,
        processing=settings.processing,
        training=settings.training,
        tuning=settings.tuning,
        preprocess=settings.preprocess,
        caching=settings.caching,
        retry=settings.retry,
        approval_status=settings.approval_status,
        # The package declares the instance types this environment serves and transforms on,
        # so the package and the endpoint/transform settings cannot disagree.
        inference=InferenceSettings(
            realtime_instance_types=[config.endpoint.instance_type],
            transform_instance_types=[config.transform.instance_type],
        ),
        tags={"project": config.project, "environment": config.name},
    )
