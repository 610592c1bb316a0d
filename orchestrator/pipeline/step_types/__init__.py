"""Every step type a definition may use, one module each, registered on import.

A new step type is one module here that calls :func:`register` (its API, branches, properties,
cache keys and argument checks) plus its import below; the validator, property paths and the local
graph pick it up from the registry. To run it locally, register an executor under the same name
in ``backends/local/executors/``.
"""

from orchestrator.pipeline.step_types.registry import (
    ArgumentCheck,
    NamedOutputs,
    StepApi,
    StepCheck,
    StepType,
    get,
    names,
    register,
)

# Importing a module registers its type; this order is the order messages list the types in.
# isort: off
from orchestrator.pipeline.step_types import processing
from orchestrator.pipeline.step_types import training
from orchestrator.pipeline.step_types import tuning
from orchestrator.pipeline.step_types import transform
from orchestrator.pipeline.step_types import register_model
from orchestrator.pipeline.step_types import condition
from orchestrator.pipeline.step_types import fail
# isort: on

__all__ = [
    "ArgumentCheck",
    "NamedOutputs",
    "StepApi",
    "StepCheck",
    "StepType",
    "condition",
    "fail",
    "get",
    "names",
    "processing",
    "register",
    "register_model",
    "training",
    "transform",
    "tuning",
]
