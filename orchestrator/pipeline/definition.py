"""Assemble, validate and serialize the whole pipeline definition.

``build_definition(config, outputs)`` is the one entry point: it builds the steps in execution
order, gives each step whose type takes them its RetryPolicies (``retry.py``), checks the result
(structure, then every step against botocore's API model) and returns a
:class:`PipelineDefinition`. Its JSON is deterministic: the same config and outputs give
byte-identical text, so an upsert can diff it against the deployed definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import locations, names
from orchestrator.pipeline.api_validation import validate_api_arguments
from orchestrator.pipeline.condition import quality_gate_step
from orchestrator.pipeline.config import PipelineConfig
from orchestrator.pipeline.errors import DefinitionError
from orchestrator.pipeline.evaluate import evaluate_step
from orchestrator.pipeline.fail import gate_failed_step
from orchestrator.pipeline.parameters import Parameter, pipeline_parameters
from orchestrator.pipeline.preprocess import preprocess_step
from orchestrator.pipeline.register import register_step
from orchestrator.pipeline.retry import add_retry_policies
from orchestrator.pipeline.step_graph import StepInfo, flatten_steps
from orchestrator.pipeline.structure import validate_structure
from orchestrator.pipeline.tuning import tune_step
from orchestrator.settings.stack_outputs import StackOutputs


@dataclass(frozen=True)
class PipelineDefinition:
    """A validated definition document and its declared parameters."""

    document: dict[str, Any]
    pipeline_name: str

    @property
    def image(self) -> str:
        """The image every step runs (the first step's; the builder gives all steps one)."""
        return str(self.document["Steps"][0]["Arguments"]["AppSpecification"]["ImageUri"])

    @property
    def parameters(self) -> list[Parameter]:
        return [
            Parameter(
                name=entry["Name"],
                type=entry["Type"],
                default=entry.get("DefaultValue"),
                enum_values=tuple(entry.get("EnumValues", ())),
            )
            for entry in self.document.get("Parameters", [])
        ]

    def parameter_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    @property
    def steps(self) -> list[StepInfo]:
        """Every step, nested condition branches included, in document order."""
        return flatten_steps(self.document)

    def step(self, name: str) -> dict[str, Any]:
        for info in self.steps:
            if info.name == name:
                return info.body
        raise KeyError(f"the definition has no step {name!r}")

    def to_json(self) -> str:
        """The definition text CreatePipeline/UpdatePipeline take (stable byte for byte)."""
        return json.dumps(self.document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str, pipeline_name: str = "") -> PipelineDefinition:
        """Load a definition (e.g. a deployed one) and validate it like a freshly built one."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError(
                [f"not valid JSON: {exc}"], context="the definition text"
            ) from None
        validate_definition(document)
        return cls(document=document, pipeline_name=pipeline_name)


def validate_definition(document: Any) -> None:
    """Raise :class:`DefinitionError` listing every structural and API problem of ``document``."""
    problems = validate_structure(document)
    if isinstance(document, dict):
        problems += validate_api_arguments(document)
    if problems:
        raise DefinitionError(problems)


def resolve_image_uri(config: PipelineConfig, outputs: StackOutputs) -> str:
    if config.image_uri:
        return config.image_uri
    if not outputs.ecr_repository_url:
        raise DefinitionError(
            [
                "no container image: the stack outputs have no ecr_repository_url and the "
                "pipeline config sets no image_uri; set image_uri or apply the registry module"
            ],
            context="the pipeline config",
        )
    return f"{outputs.ecr_repository_url}:{config.code_version}"


def build_document(config: PipelineConfig, outputs: StackOutputs) -> dict[str, Any]:
    """The definition document, unvalidated (tests use it to break things on purpose)."""
    pipeline = locations.pipeline_name(config.pipeline_name, outputs)
    image = resolve_image_uri(config, outputs)
    gate = quality_gate_step(
        if_steps=[register_step(config, outputs, image, pipeline)],
        else_steps=[gate_failed_step()],
    )
    document = {
        "Version": names.DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": [p.to_json() for p in pipeline_parameters(config)],
        "PipelineExperimentConfig": {
            "ExperimentName": ex.execution("PipelineName"),
            "TrialName": ex.execution("PipelineExecutionId"),
        },
        "Steps": [
            preprocess_step(config, outputs, image, pipeline),
            tune_step(config, outputs, image, pipeline),
            evaluate_step(config, outputs, image, pipeline),
            gate,
        ],
    }
    # One place gives every step whose type takes RetryPolicies its policies (pipeline/retry.py),
    # so no step builder knows about retries.
    add_retry_policies(document, config.retry)
    return document


def build_definition(config: PipelineConfig, outputs: StackOutputs) -> PipelineDefinition:
    """Build and validate the pipeline definition for ``config`` on the stack ``outputs``."""
    document = build_document(config, outputs)
    validate_definition(document)
    return PipelineDefinition(
        document=document, pipeline_name=locations.pipeline_name(config.pipeline_name, outputs)
    )
