"""SageMaker instance types, per kind of job, from botocore's own service model.

Which instance types a job may ask for differs by API (an endpoint cannot run on
``ml.c5n.xlarge``, which training can; ``ml.c5.large`` serves but does not train), and AWS keeps
the lists in the service model's enums. Reading them from botocore, rather than a hand-written
pattern, means a typo or a type of the wrong kind fails in the environment file with the closest
valid names, not at CreateEndpoint an hour into a run.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator

from orchestrator.settings.sagemaker_model import sagemaker_model

Kind = Literal["endpoint", "training", "processing", "transform"]
SHAPES: dict[Kind, str] = {
    "endpoint": "ProductionVariantInstanceType",
    "training": "TrainingInstanceType",
    "processing": "ProcessingInstanceType",
    "transform": "TransformInstanceType",
}


@cache
def allowed(kind: Kind) -> frozenset[str]:
    """Every instance type botocore's SageMaker model allows for ``kind``."""
    return frozenset(sagemaker_model().shape_for(SHAPES[kind]).enum)


def check(kind: Kind, value: str) -> str:
    """``value`` when it is a ``kind`` instance type; ValueError naming the closest ones."""
    if value in allowed(kind):
        return value
    close = difflib.get_close_matches(value, sorted(allowed(kind)), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    also = [k for k in SHAPES if k != kind and value in allowed(k)]
    where = f" (it is one for {', '.join(also)} jobs)" if also else ""
    raise ValueError(
        f"{value!r} is not a SageMaker {kind} instance type{where}{hint} (allowed: the "
        f"{SHAPES[kind]} list of botocore's SageMaker model)"
    )


def _validator(kind: Kind) -> Callable[[str], str]:
    return lambda value: check(kind, value)


EndpointInstanceType = Annotated[str, AfterValidator(_validator("endpoint"))]
TrainingInstanceType = Annotated[str, AfterValidator(_validator("training"))]
ProcessingInstanceType = Annotated[str, AfterValidator(_validator("processing"))]
TransformInstanceType = Annotated[str, AfterValidator(_validator("transform"))]
