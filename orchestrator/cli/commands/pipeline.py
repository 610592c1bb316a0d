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


DEFINITION_DESCRIPTION = (
    "Print the pipeline definition JSON that `pipeline upsert` would send as "
    "PipelineDefinition, built from files alone: no AWS call is made, so no credentials are "
    "needed. An aws environment needs --stack-outputs FILE (what `orchestrator infra output` "
    "prints) and --schema FILE (a local copy of the schema that dataset.schema names in S3). "
    "--image sha256:<digest> (or <repository>@sha256:<digest>) gives exactly the text upsert "
    "sends; a tag, or no --image (this commit's tag), is printed as <repository>:<tag>, with a "
    "note on stderr, because pinning a tag to its digest needs ECR. A local environment prints "
    "its definition as `run` builds it (its data staged, content-addressed, into its local "
    "store). The same inputs and commit give the same bytes in any process, directory or "
    "machine, so two printouts diff cleanly. --output json prints the same text: the "
    "definition is JSON already and is not wrapped. A bad input exits 2 naming the fix."
)


def _definition_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DEFINITION_DESCRIPTION
    options.environment(parser, output_format=False)
    parser.add_argument(
        "--output",
        choices=("table", "json"),
        default="table",
        help="accepted like other commands; both print the definition JSON itself, unwrapped",
    )
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
    parser.add_argument(
        "--image",
        metavar="TAG|DIGEST|REF",
        help="aws: a sha256 digest (or a reference with one) into the stack's repository prints "
        "exactly what upsert sends; a tag (default: this commit's) is printed as a tag "
        "reference, since pinning it to a digest needs ECR",
    )


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
