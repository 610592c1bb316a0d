"""Everything the preflight rules read, gathered once: the environment, the stack's plan, the
pipeline definition the orchestrator would upsert, and the AWS calls the orchestrator makes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ml_containers.data.bundled import load_bundled_schema

from orchestrator.pipeline import build_definition
from orchestrator.preflight.plan import StackPlan
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.pipeline import pipeline_config
from orchestrator.settings.stack_outputs import StackOutputs

CALLS_FILE = "aws_calls.json"
# A digest that names no image: the definition's shape does not depend on which image it runs.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


@dataclass
class PreflightInputs:
    environment: EnvironmentConfig
    plan: StackPlan | None = None
    definition: dict[str, Any] | None = None
    calls: frozenset[str] = field(default_factory=frozenset)  # "sagemaker:CreatePipeline"
    session: Any = None  # boto3 session for the online rules


def recorded_calls() -> frozenset[str]:
    """The AWS API calls the orchestrator makes, as recorded by the AWS test suite
    (tests/aws_call_recorder.py keeps the file current)."""
    text = (resources.files("orchestrator.preflight") / CALLS_FILE).read_text()
    return frozenset(json.loads(text)["calls"])


_NAMED_OUTPUTS = ("pipeline_name", "endpoint_name", "model_package_group_name")


def offline_outputs(config: EnvironmentConfig, plan: StackPlan | None) -> StackOutputs:
    """The stack outputs as far as they are known before apply: names from the plan when it
    has them (they come from variables), ARNs and ids as placeholders in the right shape."""
    prefix = f"{config.project}-{config.name}"
    account, region = config.account_id or "000000000000", config.region
    names = {name: (plan.output(name) if plan else None) for name in _NAMED_OUTPUTS}
    key = f"arn:aws:kms:{region}:{account}:key/00000000-0000-0000-0000-00000000000"
    return StackOutputs(
        region=region,
        account_id=account,
        environment=config.name,
        project=config.project,
        data_bucket=f"{prefix}-data-{account}",
        artifacts_bucket=f"{prefix}-artifacts-{account}",
        data_kms_key_arn=key + "1",
        artifacts_kms_key_arn=key + "2",
        sagemaker_execution_role_arn=f"arn:aws:iam::{account}:role/{prefix}-sagemaker-execution",
        pipeline_role_arn=f"arn:aws:iam::{account}:role/{prefix}-sagemaker-pipeline",
        orchestrator_policy_arn=f"arn:aws:iam::{account}:policy/{prefix}-orchestrator",
        model_package_group_name=names["model_package_group_name"] or f"{prefix}-models",
        pipeline_name=names["pipeline_name"] or f"{prefix}-pipeline",
        endpoint_name=names["endpoint_name"] or f"{prefix}-endpoint",
        ecr_repository_url=f"{account}.dkr.ecr.{region}.amazonaws.com/{prefix}",
        private_subnet_ids=["subnet-00000000000000001", "subnet-00000000000000002"],
        sagemaker_security_group_ids=["sg-00000000000000001"],
        vpc_id="vpc-00000000000000001",
    )


def offline_definition(config: EnvironmentConfig, plan: StackPlan | None) -> dict[str, Any]:
    """The definition ``run`` would upsert, built without AWS: the stack's names, a placeholder
    digest, and the bundled demo schema when the environment's schema lives in S3 (the steps
    and their arguments do not depend on the schema's columns)."""
    outputs = offline_outputs(config, plan)
    demo = config.dataset.demo_name or "breast_cancer"
    schema = load_bundled_schema(demo)
    settings = pipeline_config(
        config,
        schema,
        f"s3://{outputs.data_bucket}/datasets/{schema.name}/data/",
        f"s3://{outputs.data_bucket}/datasets/{schema.name}/schema.yaml",
        outputs.pipeline_name,
        image_uri=f"{outputs.ecr_repository_url}@{PLACEHOLDER_DIGEST}",
    )
    return build_definition(settings, outputs).document
