"""A SageMaker Model for a registered model version, as endpoints and transform jobs need one.

The model points at the *model package* (``ModelPackageName``), not at a copied image and
artifact, so SageMaker's lineage links every endpoint and transform job to the registered,
approved version. It runs as the stack's serving role (``serving_role_arn``: model artifacts,
batch input and output, data capture, the endpoint's logs and its rollback alarms), inside the
stack's private subnets and security groups, with network isolation (the serving container needs
no network of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.aws.clients import aws_errors
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.pipeline.security import vpc_config
from orchestrator.settings.stack_outputs import StackOutputs

MODEL_PACKAGE_TAG = "mlops:model-package-arn"


def model_request(
    outputs: StackOutputs,
    package: ModelPackage,
    model_name: str,
    *,
    network_isolation: bool,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The CreateModel request for ``package``; ``environment`` adds container variables to
    the package's (an endpoint's model names its endpoint and variant for the metrics)."""
    container: dict[str, Any] = {"ModelPackageName": package.arn}
    if environment:
        container["Environment"] = dict(environment)
    request: dict[str, Any] = {
        "ModelName": model_name,
        "ExecutionRoleArn": outputs.serving_role_arn,
        "PrimaryContainer": container,
        "EnableNetworkIsolation": network_isolation,
        "Tags": [
            {"Key": MODEL_PACKAGE_TAG, "Value": package.arn},
            {"Key": "project", "Value": outputs.project},
            {"Key": "environment", "Value": outputs.environment},
        ],
    }
    vpc = vpc_config(outputs)
    if vpc is not None:
        request["VpcConfig"] = vpc
    return request


def create_model(
    sagemaker: Any,
    outputs: StackOutputs,
    package: ModelPackage,
    model_name: str,
    *,
    network_isolation: bool = True,
    environment: Mapping[str, str] | None = None,
) -> str:
    """Create the model; returns its name."""
    request = model_request(
        outputs, package, model_name, network_isolation=network_isolation, environment=environment
    )
    with aws_errors(f"create model {model_name}"):
        sagemaker.create_model(**request)
    return model_name
