"""Instance types are checked per kind of job against botocore's SageMaker model."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.settings.environment import load_environment
from orchestrator.settings.instance_types import SHAPES, Kind, allowed, check

# ml.c5n.* trains but cannot serve; ml.c5.large serves but cannot train (botocore's enums).
TRAINING_ONLY = "ml.c5n.xlarge"
ENDPOINT_ONLY = "ml.c5.large"


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_a_common_type_passes_for_every_kind(kind: Kind) -> None:
    assert check(kind, "ml.m5.xlarge") == "ml.m5.xlarge"
    assert len(allowed(kind)) > 50


def test_a_type_of_another_kind_is_refused_and_named() -> None:
    assert TRAINING_ONLY in allowed("training") and TRAINING_ONLY not in allowed("endpoint")
    with pytest.raises(ValueError, match=r"not a SageMaker endpoint instance type \(it is one "):
        check("endpoint", TRAINING_ONLY)
    with pytest.raises(ValueError, match="not a SageMaker training instance type"):
        check("training", ENDPOINT_ONLY)


def test_a_typo_gets_the_closest_names() -> None:
    with pytest.raises(ValueError, match=r"did you mean ml\.m5\.large"):
        check("processing", "ml.m5.larg")


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        ("endpoint:\n  instance_type: {value}\n", "endpoint"),
        ("pipeline:\n  training: {{instance_type: {value}}}\n", "training"),
        ("pipeline:\n  processing: {{instance_type: {value}}}\n", "processing"),
        ("transform:\n  instance_type: {value}\n", "transform"),
        ("monitoring:\n  schedule: {{instance_type: {value}}}\n", "processing"),  # the drift job
    ],
)
def test_the_environment_file_names_the_key(tmp_path: Path, section: str, kind: str) -> None:
    text = "backend: local\n" + section.format(value="ml.m5.huge")
    (tmp_path / "dev.yaml").write_text(text)
    with pytest.raises(ConfigError, match=f"instance_type: 'ml.m5.huge' is not a SageMaker {kind}"):
        load_environment("dev", tmp_path)


def test_the_model_package_declares_serving_types_of_the_right_kind() -> None:
    """The registered package's SupportedRealtimeInferenceInstanceTypes are endpoint types."""
    from pydantic import ValidationError

    from orchestrator.pipeline.config import InferenceSettings

    assert InferenceSettings(realtime_instance_types=[ENDPOINT_ONLY]).realtime_instance_types
    with pytest.raises(ValidationError, match="not a SageMaker endpoint instance type"):
        InferenceSettings(realtime_instance_types=[TRAINING_ONLY])


def test_the_registered_package_declares_the_environment_s_serving_instance_types() -> None:
    """Not a constant: the package lists the endpoint's and the transform's instance types."""
    from ml_containers.data.bundled import load_bundled_schema

    from orchestrator.pipeline import build_definition
    from orchestrator.pipeline.step_graph import flatten_steps
    from orchestrator.settings.environment import load_environment
    from orchestrator.settings.pipeline import pipeline_config
    from orchestrator.settings.stack_outputs import StackOutputs

    dev = load_environment("dev")
    config = dev.model_copy(
        update={
            "endpoint": dev.endpoint.model_copy(update={"instance_type": "ml.c5.xlarge"}),
            "transform": dev.transform.model_copy(update={"instance_type": "ml.m5.2xlarge"}),
        }
    )
    schema = load_bundled_schema("breast_cancer")
    settings = pipeline_config(config, schema, "s3://data-bucket/d/", "s3://data-bucket/s.yaml")
    document = build_definition(settings, StackOutputs.local()).document
    (register,) = [s for s in flatten_steps(document) if s.type == "RegisterModel"]
    specification = register.arguments["InferenceSpecification"]
    assert specification["SupportedRealtimeInferenceInstanceTypes"] == ["ml.c5.xlarge"]
    assert specification["SupportedTransformInstanceTypes"] == ["ml.m5.2xlarge"]
