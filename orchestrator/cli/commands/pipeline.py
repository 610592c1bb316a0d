"""``orchestrator pipeline upsert|start|wait|definition``: the pipeline on the environment's
SageMaker, and the definition text it would get."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
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


def _definition_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="aws: the JSON `terraform output -json` printed (required: no AWS call is made)",
    )
    parser.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="aws: a local copy of the dataset schema that dataset.schema names in S3",
    )
    options.image(parser)


@command(
    "pipeline",
    "definition",
    help="print the definition upsert would send, without calling AWS",
    arguments=_definition_arguments,
)
def pipeline_definition(args: argparse.Namespace) -> int:
    """The definition text itself (JSON already, so ``--output json`` prints the same)."""
    from orchestrator.cli import context
    from orchestrator.flows.definition_text import OfflineInputs, aws_definition

    config = context.environment(args)
    if config.backend == "local":
        return _local_definition(args, config)
    inputs = OfflineInputs(args.stack_outputs, args.schema, args.image)
    sys.stdout.write(aws_definition(config, inputs, say).to_json())
    return 0


def _local_definition(args: argparse.Namespace, config: EnvironmentConfig) -> int:
    from orchestrator.cli import context
    from orchestrator.errors import UserError
    from orchestrator.flows.pipeline import choose_dataset, definition

    given = [
        f
        for f, v in (
            ("--stack-outputs", args.stack_outputs),
            ("--schema", args.schema),
            ("--image", args.image),
        )
        if v is not None
    ]
    if given:
        raise UserError(
            f"{', '.join(given)} apply to aws environments (a local environment has no stack, "
            "reads its dataset from its file and runs this checkout's package); drop them"
        )
    with context.backend(args, config) as backend:
        built = definition(backend, config, choose_dataset(backend, config, None, None))
    sys.stdout.write(built.to_json())
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
