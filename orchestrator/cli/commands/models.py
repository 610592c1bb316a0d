"""``orchestrator models list|approve|reject``: the environment's model registry."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from orchestrator.cli import options
from orchestrator.cli.console import format_table, print_json
from orchestrator.cli.registry import command, group

if TYPE_CHECKING:
    from orchestrator.backends.model_registry import ApprovalStatus, ModelPackage

group("models", "the model registry")


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument("--status", choices=("PendingManualApproval", "Approved", "Rejected"))
    options.dataset(parser)
    options.stack(parser)


def _change_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument("version", type=int, help="the version number in the group")
    parser.add_argument("--reason", default="", help="recorded with the status change")
    options.dataset(parser)
    options.stack(parser)


def _row(package: ModelPackage, live: str | None) -> dict[str, Any]:
    return {
        "version": package.version,
        "live": "serving" if package.arn == live else "",
        "status": package.approval_status,
        "created": package.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "metrics": {k: round(v, 4) for k, v in sorted(package.metrics.items())},
        "model": package.model_data_url,
    }


@command("models", "list", help="list model versions", arguments=_list_arguments)
def models_list(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.models import dataset_group, list_versions, stack_groups

    config = context.environment(args)
    with context.backend(args, config) as backend:
        group_name = dataset_group(backend, config, args.dataset)()
        packages = list_versions(backend, group_name, args.status)
        others = [g for g in stack_groups(backend) if g != group_name]
        live = backend.endpoints.serving()  # the ARN serving on the endpoint now, if any
        endpoint = backend.endpoints.endpoint_name
    if args.output == "json":
        on = {p.arn: endpoint if p.arn == live else None for p in packages}
        print_json([{**p.model_dump(mode="json"), "serving_on": on[p.arn]} for p in packages])
    else:
        print(f"model package group {group_name}")
        rows = [_row(p, live) for p in packages]
        print(format_table(rows, ["version", "status", "live", "created", "metrics"]))
        if others:
            print(f"other groups of this stack (--dataset NAME): {', '.join(others)}")
    return 0


def _set_status(args: argparse.Namespace, status: ApprovalStatus) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.models import dataset_group, set_status

    config = context.environment(args)
    with context.backend(args, config) as backend:
        group_name = dataset_group(backend, config, args.dataset)()
        package = set_status(backend, group_name, args.env, args.version, status, args.reason)
    if args.output == "json":
        print_json(package.model_dump(mode="json"))
    else:
        print(f"{package.group} v{package.version}: {package.approval_status}")
    return 0


@command("models", "approve", help="approve a model version", arguments=_change_arguments)
def models_approve(args: argparse.Namespace) -> int:
    return _set_status(args, "Approved")


@command("models", "reject", help="reject a model version", arguments=_change_arguments)
def models_reject(args: argparse.Namespace) -> int:
    return _set_status(args, "Rejected")
