"""``orchestrator pipeline upsert|start|wait``: the pipeline on the environment's SageMaker."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from orchestrator.cli import options
from orchestrator.cli.console import format_pairs, format_table, print_json, say, show
from orchestrator.cli.registry import command, group

if TYPE_CHECKING:
    from orchestrator.backends.base import Backend
    from orchestrator.settings.environment import EnvironmentConfig

DEFAULT_PIPELINE_TIMEOUT_SECONDS = 6 * 3600.0

group("pipeline", "the SageMaker pipeline")


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.stack(parser)


def _start_arguments(parser: argparse.ArgumentParser) -> None:
    _arguments(parser)
    options.parameters(parser)


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    _arguments(parser)
    options.waiting(parser)
    parser.add_argument("--execution", help="execution ARN (default: the latest)")


def _aws_backend(args: argparse.Namespace, command_name: str) -> tuple[EnvironmentConfig, Backend]:
    """The environment and its backend; the pipeline commands refuse a local environment."""
    from orchestrator.cli import context
    from orchestrator.infra.stack import require_aws

    config = context.environment(args)
    require_aws(config, command_name)
    return config, context.backend(args, config)


def _upsert_arguments(parser: argparse.ArgumentParser) -> None:
    _arguments(parser)
    options.image(parser)


@command(
    "pipeline",
    "upsert",
    help="create/update the pipeline (shows the diff)",
    arguments=_upsert_arguments,
)
def pipeline_upsert(args: argparse.Namespace) -> int:
    from orchestrator.flows.models import ensure_dataset_group
    from orchestrator.flows.pipeline import choose_dataset, image, upsert

    config, backend = _aws_backend(args, "pipeline upsert")
    with backend:
        pinned = image(backend, args.image)
        dataset = choose_dataset(backend, config, None, None)
        ensure_dataset_group(backend, config, dataset.name)  # the Register step's target
        result = upsert(backend, config, dataset, pinned)
    if result["diff"] and args.output != "json":
        print(result["diff"].rstrip())
    show(
        args.output,
        result,
        [
            ("pipeline", result["pipeline"]),
            ("action", result["action"]),
            ("image", result["image"]),
        ],
    )
    return 0


@command("pipeline", "start", help="start an execution", arguments=_start_arguments)
def pipeline_start(args: argparse.Namespace) -> int:
    from orchestrator.flows.pipeline import parse_overrides, start

    overrides = parse_overrides(args.parameter)
    config, backend = _aws_backend(args, "pipeline start")
    with backend:
        arn = start(backend, config, overrides)
    show(args.output, {"execution": arn}, [("execution", arn)])
    return 0


@command("pipeline", "wait", help="wait for an execution to end", arguments=_wait_arguments)
def pipeline_wait(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.pipeline import latest_execution, wait

    _, backend = _aws_backend(args, "pipeline wait")
    with backend:
        arn = args.execution or latest_execution(backend).id
        poll = context.poll(args, DEFAULT_PIPELINE_TIMEOUT_SECONDS)
        say(f"waiting for {arn}")
        execution, code = wait(backend, arn, poll, say)
    print_execution(args.output, execution.to_dict())
    return code


def print_execution(output: str, execution: dict[str, Any]) -> None:
    if output == "json":
        print_json(execution)
        return
    print(format_pairs([("execution", execution["id"]), ("status", execution["status"])]))
    print(format_table(execution["steps"], ["name", "status", "cached", "failure_reason"]))
    if execution.get("failure_reason"):
        print(f"failure: {execution['failure_reason']}")
