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


@command("deploy", help="blue/green deploy to the endpoint", arguments=_deploy_arguments)
def deploy(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.deploy import deploy as deploy_version
    from orchestrator.infra.stack import require_aws
    from orchestrator.preflight.gate import preflight_gate

    config = context.environment(args)
    require_aws(config, "deploy")
    poll = context.poll(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS)
    if not args.skip_preflight:
        preflight_gate(config)  # the checks that need no plan; nothing has changed yet
    with context.backend(args, config) as backend:
        summary, model = deploy_version(backend, args.model_package, poll, say)
    _print_deployment(args.output, summary, model)
    return 0


@command("rollback", help="return to the previous model", arguments=_rollback_arguments)
def rollback(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.deploy import rollback as roll_back
    from orchestrator.infra.stack import require_aws

    config = context.environment(args)
    require_aws(config, "rollback")
    poll = context.poll(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS)
    with context.backend(args, config) as backend:
        summary = roll_back(backend, poll, say)
    _print_deployment(args.output, summary, summary["model_package_arn"] or "")
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
