"""``orchestrator deploy`` and ``orchestrator rollback``: blue/green on the stack's endpoint."""

from __future__ import annotations

import argparse
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.console import say, show
from orchestrator.cli.registry import command

DEFAULT_ENDPOINT_TIMEOUT_SECONDS = 3600.0


def _rollback_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.stack(parser)
    options.waiting(parser)


def _deploy_arguments(parser: argparse.ArgumentParser) -> None:
    _rollback_arguments(parser)
    options.preflight(parser)
    parser.add_argument(
        "--model-package",
        default="latest-approved",
        metavar="ARN|latest-approved",
        help="the model version to serve (default: latest-approved)",
    )
    parser.add_argument(
        "--recreate-failed",
        action="store_true",
        help="aws: when the endpoint is Failed (SageMaker then allows only DeleteEndpoint), "
        "delete it and create it with this version; without it such a deploy stops (exit 1)",
    )
    options.dataset(parser)
    _replace_schema(parser)


def _replace_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replace-schema",
        action="store_true",
        help="serve a version whose request schema (features, types, classes) differs from the "
        "one the endpoint serves; its clients must change with it",
    )


@command("deploy", help="blue/green deploy to the endpoint", arguments=_deploy_arguments)
def deploy(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.deploy import deploy as deploy_version
    from orchestrator.flows.models import dataset_group
    from orchestrator.infra.stack import require_aws
    from orchestrator.preflight.gate import preflight_gate

    config = context.environment(args)
    _refuse_aws_only_flags(args, config.backend, config.name)
    require_aws(config, "deploy")
    poll = context.poll(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS)
    if not args.skip_preflight:
        preflight_gate(config)  # the checks that need no plan; nothing has changed yet
    with context.backend(args, config) as backend:
        summary, model = deploy_version(
            backend,
            args.model_package,
            dataset_group(backend, config, args.dataset),
            poll,
            say,
            recreate_failed=args.recreate_failed,
            replace_schema=args.replace_schema,
        )
    _print_deployment(args.output, summary, model)
    return 0


def _refuse_aws_only_flags(args: argparse.Namespace, backend: str, environment: str) -> None:
    """A flag that only means something for a SageMaker endpoint is refused by name on a local
    environment, rather than lost in the general "works on aws environments" refusal."""
    from orchestrator.errors import UserError

    if args.recreate_failed and backend != "aws":
        raise UserError(
            f"--recreate-failed applies to a SageMaker endpoint left Failed, which the "
            f"{backend} environment {environment} does not have; drop it or pick an aws "
            "environment (--env dev)"
        )


def _rollback_to_arguments(parser: argparse.ArgumentParser) -> None:
    _rollback_arguments(parser)
    parser.add_argument(
        "--to",
        metavar="VERSION|ARN",
        help="a version the endpoint's history shows served (default: the config that served "
        "before the current one)",
    )
    options.dataset(parser)
    _replace_schema(parser)


@command("rollback", help="return to the previous model", arguments=_rollback_to_arguments)
def rollback(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.errors import UserError
    from orchestrator.flows.deploy import rollback as roll_back
    from orchestrator.flows.deploy import rollback_to
    from orchestrator.flows.models import dataset_group
    from orchestrator.infra.stack import require_aws

    config = context.environment(args)
    require_aws(config, "rollback")
    if args.dataset is not None and args.to is None:
        raise UserError("--dataset names the group of --to VERSION; pass --to, or drop --dataset")
    if args.replace_schema and args.to is None:
        raise UserError(
            "--replace-schema applies to --to VERSION (a rollback to the previous config "
            "returns to what served just before); pass --to, or drop --replace-schema"
        )
    poll = context.poll(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS)
    with context.backend(args, config) as backend:
        if args.to is None:
            summary = roll_back(backend, poll, say)
            model = summary["model_package_arn"] or ""
        else:
            group = dataset_group(backend, config, args.dataset)
            summary, model = rollback_to(
                backend, args.to, group, poll, say, replace_schema=args.replace_schema
            )
    _print_deployment(args.output, summary, model)
    return 0


def _print_deployment(output: str, summary: dict[str, Any], model: str) -> None:
    show(
        output,
        summary,
        [
            ("endpoint", summary["endpoint_name"]),
            ("action", summary["action"]),
            ("model", model),
            ("endpoint config", summary["endpoint_config_name"]),
            ("previous config", summary["previous_config_name"]),
            ("rollback alarms", ", ".join(summary["rollback_alarms"]) or "none"),
        ],
    )
