"""The names settings give to things: SageMaker's rules from botocore, and the image tag's.

A pipeline or variant name that SageMaker would refuse fails in the environment file, naming
the rule, instead of at CreatePipeline or CreateEndpointConfig. The rules are the service
model's ``pattern`` and ``max`` for the name's shape, so there is one of each, AWS's. The image
tag is not SageMaker's: it is the registry's tag rule (Docker's), written once here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Annotated

from pydantic import AfterValidator

from orchestrator.settings.sagemaker_model import sagemaker_model

# Docker's tag rule (ECR uses it): a letter, digit or '_' first, then up to 127 of [A-Za-z0-9_.-].
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


@cache
def name_rule(shape: str) -> tuple[re.Pattern[str], int]:
    """The pattern (matched whole) and the longest length SageMaker allows for ``shape``."""
    metadata = sagemaker_model().shape_for(shape).metadata
    return re.compile(str(metadata["pattern"])), int(metadata["max"])


def name_problem(shape: str, value: str) -> str | None:
    """Why SageMaker would refuse ``value`` as a ``shape`` (e.g. EndpointConfigName), or None."""
    pattern, longest = name_rule(shape)
    if len(value) > longest:
        return f"it has {len(value)} characters, a SageMaker {shape} at most {longest}"
    if not pattern.fullmatch(value):
        return (
            f"a SageMaker {shape} is letters, digits and hyphens, starting and ending with a "
            f"letter or digit (botocore's pattern {pattern.pattern})"
        )
    return None


def _checked(shape: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        problem = name_problem(shape, value)
        if problem:
            raise ValueError(f"{value!r} is not a valid name: {problem}")
        return value

    return check


PipelineName = Annotated[str, AfterValidator(_checked("PipelineName"))]
VariantName = Annotated[str, AfterValidator(_checked("VariantName"))]
