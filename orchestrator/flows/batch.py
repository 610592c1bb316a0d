"""``orchestrator batch-transform``: score a file (local) or an S3 object (AWS) with a version.

The request is checked by the backend before any model is looked up or started, so a wrong kind
of location or a bad filter is a usage error that costs nothing.
"""

from __future__ import annotations

from orchestrator.backends.base import Backend, BatchRequest, BatchResult, Progress
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings
from orchestrator.flows.models import GroupChoice, resolve


def batch_transform(
    backend: Backend,
    request: BatchRequest,
    version: int | None,
    group: GroupChoice,
    poll: PollSettings,
    progress: Progress,
) -> tuple[ModelPackage, BatchResult]:
    backend.transformer.check(request)
    package = resolve(backend, version, group, purpose="served")
    backend.images.check_serving(package.image_uri)
    return package, backend.transformer.transform(package, request, poll, progress)
