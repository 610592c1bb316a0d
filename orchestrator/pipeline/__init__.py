"""The SageMaker Pipeline definition builder (definition format 2020-12-01), without the SDK.

Preprocess (Processing) -> Tune (Tuning) -> Evaluate (Processing, PropertyFile) -> QualityGate
(Condition on the gate metric) -> Register (RegisterModel) | QualityGateFailed (Fail).

Module map (each module has one job):

- ``config``: :class:`PipelineConfig`, everything that is not a stack output.
- ``names``: step/parameter/property-file names and container paths (the runners' contract).
- ``expressions``: the JSON encoding of Get, Std:Join, Std:JsonGet and property paths.
- ``parameters``: the pipeline parameters and their defaults.
- ``locations``: the S3 layout of job outputs under the artifacts bucket.
- ``security``: network (VPC, isolation, encryption) and KMS settings for every job.
- ``processing``: the shared Processing step shape; ``preprocess`` and ``evaluate`` use it
  (``evaluate`` also owns the EvaluationReport property file and the gate metric's JsonGet).
- ``tuning``: the Tuning step (search, objective from ``ml_containers.schema.OBJECTIVES``).
- ``condition``, ``register``, ``fail``: the quality gate and its two branches.
- ``step_types``: the step-type registry, one module per type (API, branches, properties, named
  outputs, cache keys, own argument checks); the builders take type names from it.
- ``step_graph``: the steps as a graph (flattening, references, dependencies, order, cycles).
- ``service_model``: botocore's SageMaker model, read through each step type's API.
- ``structure``: structural checks (names, references, property files, cycles).
- ``api_validation``: each step's Arguments checked with botocore's ParamValidator.
- ``definition``: assembly, validation and deterministic JSON (:func:`build_definition`).
"""

from orchestrator.pipeline.config import PipelineConfig, parse_pipeline_config
from orchestrator.pipeline.definition import (
    PipelineDefinition,
    build_definition,
    validate_definition,
)
from orchestrator.pipeline.errors import DefinitionError
from orchestrator.pipeline.parameters import Parameter

__all__ = [
    "DefinitionError",
    "Parameter",
    "PipelineConfig",
    "PipelineDefinition",
    "build_definition",
    "parse_pipeline_config",
    "validate_definition",
]
