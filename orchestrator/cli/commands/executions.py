"""``orchestrator executions list|describe|retry``: pipeline executions of the environment."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.console import format_pairs, format_table, print_json, show_table
from orchestrator.cli.registry import command, group

group("executions", "pipeline executions")


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.stack(parser)


def _describe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("execution_id", help="an id from 'executions list' (or 'latest')")
    _list_arguments(parser)


@command("executions", "list", help="list executions", arguments=_list_arguments)
def executions_list(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.pipeline import list_executions

    with context.backend(args) as backend:
        executions = list_executions(backend)
    rows = [
        {
            "id": e.id,
            "pipeline": e.pipeline,
            "status": e.status,
            "started": e.started.strftime("%Y-%m-%d %H:%M:%S") if e.started else None,
            "seconds": round((e.ended - e.started).total_seconds(), 1)
            if e.ended and e.started
            else None,
        }
        for e in executions
    ]
    show_table(args.output, rows, ["id", "pipeline", "status", "started", "seconds"])
    return 0


@command("executions", "describe", help="one execution's steps", arguments=_describe_arguments)
def executions_describe(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.pipeline import find_execution

    with context.backend(args) as backend:
        execution = find_execution(backend, args.execution_id)
    if args.output == "json":
        print_json({**execution.to_dict(), "pipeline": execution.pipeline, "logs": execution.logs})
        return 0
    print(
        format_pairs(
            [
                ("execution", execution.id),
                ("pipeline", execution.pipeline),
                ("status", execution.status),
                ("failure", execution.failure_reason),
                ("logs", execution.logs),
            ]
        )
    )
    print()
    rows = [
        {
            "step": s.name,
            "type": s.type,
            "status": s.status,
            "cached from": s.cache_source or s.reused_from,
            "kept": "yes" if s.kept_on_retry else "",
            "started": s.started.strftime("%Y-%m-%d %H:%M:%S") if s.started else None,
            "seconds": s.seconds,
            "job": s.job_arn,
            "failure": s.failure_reason,
        }
        for s in execution.steps
    ]
    columns = ["step", "type", "status", "cached from", "kept", "started", "seconds", "job"]
    columns.append("failure")
    print(format_table(rows, columns))
    return 0


def _retry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "execution_id", nargs="?", default="latest", help="the execution to retry (default: latest)"
    )
    _list_arguments(parser)
    options.waiting(parser)


@command(
    "executions",
    "retry",
    help="continue a failed, stopped or crashed execution: its succeeded steps are kept",
    arguments=_retry_arguments,
)
def executions_retry(args: argparse.Namespace) -> int:
    import sys

    from orchestrator.backends.select import open_backend
    from orchestrator.cli import context
    from orchestrator.cli.commands.run import DEFAULT_PIPELINE_TIMEOUT_SECONDS
    from orchestrator.cli.console import ProgressPrinter
    from orchestrator.flows.rerun import retry

    printer = ProgressPrinter(sys.stderr)
    poll = context.poll(args, DEFAULT_PIPELINE_TIMEOUT_SECONDS)
    stack = context.stack_source(args)
    config = context.environment(args)
    # The local runner reports each step as it runs through ``events``, as in `run`.
    with open_backend(config, stack, events=printer, progress=printer.note) as backend:
        execution, code = retry(backend, args.execution_id, poll, printer.note)
    if args.output == "json":
        steps = [
            {**entry, "kept_on_retry": step.kept_on_retry}
            for entry, step in zip(execution.to_dict()["steps"], execution.steps, strict=True)
        ]
        print_json({**execution.to_dict(), "steps": steps, "pipeline": execution.pipeline})
        return code
    print(format_pairs([("execution", execution.id), ("status", execution.status)]))
    if execution.failure_reason:
        print(f"failure: {execution.failure_reason}")
    rows = [
        {"step": s.name, "status": s.status, "kept": "yes" if s.kept_on_retry else ""}
        for s in execution.steps
    ]
    print(format_table(rows, ["step", "status", "kept"]))
    return code
