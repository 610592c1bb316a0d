"""``orchestrator run``: the whole job for the environment (flows/run.py) and its summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.console import ProgressPrinter, format_pairs, format_table, print_json
from orchestrator.cli.registry import command

DEFAULT_PIPELINE_TIMEOUT_SECONDS = 6 * 3600.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--data",
        type=Path,
        help="a CSV file, or a folder of CSV files, to train on instead of the environment's",
    )
    parser.add_argument("--schema", type=Path, help="the dataset schema for --data")
    options.parameters(parser)
    options.image(parser)
    options.stack(parser)
    options.preflight(parser)
    parser.add_argument(
        "--approve-plan",
        type=Path,
        metavar="FILE",
        help="aws: apply this saved plan (from `infra plan`) instead of planning again; "
        "staging and prod apply only such a reviewed plan",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="aws: apply the fresh plan's changes without review (dev's default; refused for "
        "staging and prod)",
    )
    parser.add_argument(
        "--from-execution",
        metavar="ID",
        help="with --steps: a selective run; the steps not selected take their outputs from "
        "this execution (an id from `executions list`, or latest)",
    )
    parser.add_argument(
        "--steps",
        metavar="A,B",
        help="run only these steps (comma-separated), e.g. Evaluate,QualityGate,Register",
    )
    options.waiting(parser)


@command("run", help="run the whole job: pipeline, register, serve, batch", arguments=_arguments)
def run(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.flows.pipeline import parse_overrides
    from orchestrator.flows.rerun import parse_steps
    from orchestrator.flows.run import RunOptions
    from orchestrator.flows.run import run as run_flow

    config = context.environment(args)
    printer = ProgressPrinter(sys.stderr)
    run_options = RunOptions(
        data=args.data,
        schema=args.schema,
        image=args.image,
        overrides=parse_overrides(args.parameter),
        stack=context.stack_source(args, apply=True),
        poll=context.poll(args, DEFAULT_PIPELINE_TIMEOUT_SECONDS),
        from_execution=args.from_execution,
        steps=parse_steps(args.steps, args.from_execution),
    )
    summary, code = run_flow(config, run_options, progress=printer.note, events=printer)
    if args.output == "json":
        print_json(summary)
    else:
        print(render_run_summary(summary))
    return code


def render_run_summary(summary: dict[str, Any]) -> str:
    """The run as a person reads it: what ran, how it went, what was registered and served."""
    execution = summary["execution"]
    lines = ["", format_pairs(_header(summary)), ""]
    lines.append(
        format_table(
            [
                {
                    **s,
                    "cached": "yes" if s["cached"] else "",
                    "reused from": s.get("reused_from"),
                    "hosts": s.get("hosts") or "",
                }
                for s in execution["steps"]
            ],
            ["name", "status", "hosts", "cached", "reused from", "seconds"],
        )
    )
    if execution.get("failure_reason"):
        lines += ["", f"failure: {execution['failure_reason']}"]
    lines += _results(summary)
    if summary.get("error"):
        lines += ["", f"error: {summary['error']}"]
    return "\n".join(lines)


def _header(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    execution = summary["execution"]
    pairs: list[tuple[str, Any]] = [("environment", summary["environment"])]
    if "dataset" in summary:
        dataset = summary["dataset"]
        pairs.append(("dataset", f"{dataset['name']} ({dataset['source']})"))
    if "infrastructure" in summary:  # the stack was read or changed before the pipeline ran
        pipeline = summary["pipeline"]
        pairs.append(("pipeline", f"{pipeline['pipeline']} ({pipeline['action']})"))
    pairs.append(("execution", f"{execution['id']}  {execution['status']}"))
    pairs.append(("duration", f"{summary.get('duration_seconds')} s"))
    return pairs


def _results(summary: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    best = summary.get("best_hyperparameters") or {}
    if best:
        lines += [
            "",
            format_pairs([("best trial", best["training_job"]), *best["objective"].items()]),
        ]
        lines.append(format_pairs(sorted(best["hyperparameters"].items())))
    if summary.get("metrics"):
        lines += ["", format_pairs(sorted(summary["metrics"].items()))]
    package = summary.get("model_package")
    if package:
        lines += [
            "",
            format_pairs(
                [
                    ("model package", f"{package['group']} v{package['version']}"),
                    ("approval", package["approval_status"]),
                ]
            ),
        ]
    endpoint = summary.get("endpoint")
    if endpoint:
        detail = endpoint.get("reason") or (
            f"{endpoint.get('rows_sent')} rows in {endpoint.get('latency_ms')} ms, first: "
            f"{endpoint.get('sample_prediction')}"
        )
        lines += [format_pairs([("endpoint", f"{endpoint['status']}: {detail}")])]
    batch = summary.get("batch_transform")
    if batch:
        lines += [
            format_pairs([("batch transform", f"{batch['records']} lines -> {batch['output']}")])
        ]
    return lines
