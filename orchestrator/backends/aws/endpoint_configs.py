"""Retention of the endpoint's configs: every deploy creates a config and a model, so old ones
are deleted beyond ``keep_configs``, never the serving one or its predecessor (the rollback
target)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import aws_errors, is_missing
from orchestrator.backends.aws.endpoint_lookups import describe_endpoint_config
from orchestrator.backends.aws.pagination import list_all


def prune_endpoint_configs(
    sagemaker: Any, endpoint_name: str, *, keep: int, protect: tuple[str | None, ...] = ()
) -> tuple[str, ...]:
    """Delete this endpoint's configs (and their models) beyond the ``keep`` newest.

    Only configs named ``<endpoint>-...`` are considered, and the ``protect``ed ones (serving
    and previous) never go, so a rollback keeps a target.
    """
    prefix = f"{endpoint_name}-"
    with aws_errors(f"list the endpoint configs of {endpoint_name}"):
        configs = list_all(
            sagemaker,
            "list_endpoint_configs",
            "EndpointConfigs",
            NameContains=prefix,
            SortBy="CreationTime",
            SortOrder="Descending",
        )
    ours = sorted(
        (c for c in configs if str(c["EndpointConfigName"]).startswith(prefix)),
        key=lambda c: c["CreationTime"],
        reverse=True,
    )
    deleted = []
    for config in ours[keep:]:
        name = str(config["EndpointConfigName"])
        if name not in protect:
            _delete_config(sagemaker, name, prefix)
            deleted.append(name)
    return tuple(deleted)


def _delete_config(sagemaker: Any, name: str, prefix: str) -> None:
    """Delete a config and the models it names that this endpoint's deploys created."""
    described = describe_endpoint_config(sagemaker, name)
    with aws_errors(f"delete endpoint config {name}"):
        sagemaker.delete_endpoint_config(EndpointConfigName=name)
        for variant in (described or {}).get("ProductionVariants", []):
            model = variant.get("ModelName")
            if model and str(model).startswith(prefix):
                try:
                    sagemaker.delete_model(ModelName=model)
                except ClientError as exc:
                    if not is_missing(exc):
                        raise
