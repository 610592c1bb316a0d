"""Checks that ask AWS (left out by ``--offline``): the credentials are the environment's
account, the Terraform state bucket exists, the image of this commit is pushed, and the
account's SageMaker quotas admit the instance types and counts the environment asks for.

Quota names are SageMaker's, as Service Quotas lists them: "<instance type> for processing job
usage", "... for training job usage", "... for endpoint usage", "... for transform job usage"
(SageMaker endpoints and quotas, Service Quotas console). The counts: processing instances; a
training instance count per concurrently running tuning job; twice the endpoint's largest
fleet (a blue/green deployment runs both fleets); transform instances.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestrator.backends.aws.images import repository_images
from orchestrator.errors import UserError
from orchestrator.images.reference import Repository, Requested
from orchestrator.images.resolve import pinned_image
from orchestrator.images.source import source_tag
from orchestrator.infra.render import terraform_dir
from orchestrator.infra.terraform import TerraformSetupError, backend_file
from orchestrator.preflight.findings import Finding
from orchestrator.preflight.inputs import PreflightInputs, offline_outputs
from orchestrator.preflight.registry import rule


def _client(inputs: PreflightInputs, service: str) -> Any:
    return inputs.session.client(service, region_name=inputs.environment.region)


def _error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or str(exc)
    return str(exc)


@rule("caller-account", "the credentials belong to the environment's account", "online")
def check_account(inputs: PreflightInputs) -> Iterator[Finding]:
    wanted = inputs.environment.account_id
    try:
        account = _client(inputs, "sts").get_caller_identity()["Account"]
    except (ClientError, BotoCoreError) as exc:
        yield Finding("caller-account", "sts", f"GetCallerIdentity failed: {_error(exc)}",
                      "set credentials for the environment's account (AWS_PROFILE)")  # fmt: skip
        return
    if account != wanted:
        yield Finding(
            "caller-account",
            "credentials",
            f"the credentials are of account {account}, the environment is {wanted}: the "
            "provider's allowed_account_ids refuses the apply, and every call goes elsewhere",
            f"use a profile of account {wanted}",
        )


def state_bucket(environment: str) -> str:
    """The bucket the environment's backend file names (TerraformSetupError when the file is
    missing or still names the placeholder)."""
    path = backend_file(terraform_dir(None), environment)
    found = re.search(r'^\s*bucket\s*=\s*"([^"]+)"', Path(path).read_text(), re.MULTILINE)
    if not found:
        raise TerraformSetupError(f'{path} names no bucket (bucket = "...")')
    return found.group(1)


@rule("state-bucket", "the Terraform state bucket exists and is reachable", "online")
def check_state_bucket(inputs: PreflightInputs) -> Iterator[Finding]:
    try:
        bucket = state_bucket(inputs.environment.name)
    except TerraformSetupError as exc:
        where = f"backends/{inputs.environment.name}.s3.tfbackend"
        problem = f"{exc}: terraform init has no state to use"
        yield Finding("state-bucket", where, problem, "fix the backend file")
        return
    try:
        _client(inputs, "s3").head_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError) as exc:
        yield Finding(
            "state-bucket",
            bucket,
            f"HeadBucket answered {_error(exc)}: terraform init fails without its state bucket",
            "create the bucket (versioned, encrypted) once per account, or fix bucket in "
            f"terraform/backends/{inputs.environment.name}.s3.tfbackend",
        )


@rule("image-pushed", "this commit's image is in the repository", "online")
def check_image(inputs: PreflightInputs) -> Iterator[Finding]:
    outputs = offline_outputs(inputs.environment, inputs.plan)
    repository = Repository.parse(str(outputs.ecr_repository_url))
    images = repository_images(_client(inputs, "ecr"))(repository)
    try:
        pinned_image(images, repository, Requested(tag=source_tag()), inputs.environment.name)
    except UserError as exc:
        yield Finding("image-pushed", repository.url, str(exc),
                      "build and push the image before `orchestrator run`")  # fmt: skip


def _needed(inputs: PreflightInputs) -> dict[str, int]:
    config = inputs.environment
    pipeline, needs = config.pipeline, dict[str, int]()
    training = pipeline.training.instance_count * pipeline.tuning.max_parallel_jobs
    endpoint = config.endpoint
    fleet = endpoint.autoscaling.max_capacity if endpoint.autoscaling else 0
    fleet = max(fleet, endpoint.initial_instance_count)
    for name, count in (
        (f"{pipeline.processing.instance_type} for processing job usage",
         pipeline.processing.instance_count),
        (f"{pipeline.training.instance_type} for training job usage", training),
        (f"{endpoint.instance_type} for endpoint usage", 2 * fleet),
        (f"{config.transform.instance_type} for transform job usage",
         config.transform.instance_count),
    ):  # fmt: skip
        needs[name] = max(needs.get(name, 0), count)
    return needs


def _quotas(inputs: PreflightInputs) -> dict[str, float]:
    pages = _client(inputs, "service-quotas").get_paginator("list_service_quotas")
    found: dict[str, float] = {}
    for page in pages.paginate(ServiceCode="sagemaker"):
        for quota in page.get("Quotas", []):
            found[str(quota["QuotaName"])] = float(quota["Value"])
    return found


@rule("service-quotas", "SageMaker quotas admit the environment's instances", "online")
def check_quotas(inputs: PreflightInputs) -> Iterator[Finding]:
    try:
        quotas = _quotas(inputs)
    except (ClientError, BotoCoreError) as exc:
        fix = "allow servicequotas:ListServiceQuotas, or check the quotas in the console"
        yield Finding("service-quotas", "sagemaker", f"ListServiceQuotas: {_error(exc)}", fix)
        return
    for name, count in sorted(_needed(inputs).items()):
        have = quotas.get(name)
        if have is None or have < count:
            yield Finding(
                "service-quotas",
                name,
                f"the environment needs {count} at once, the account's quota is "
                f"{'not listed' if have is None else int(have)}: SageMaker refuses the job or "
                "endpoint with ResourceLimitExceeded",
                "request a quota increase in Service Quotas, or lower the counts",
            )
