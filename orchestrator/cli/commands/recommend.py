"""``orchestrator recommend``: training and endpoint instance types and counts, with their hourly
cost, from what was measured on this machine (docs/recommend.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.registry import command

DEFAULT_DEPLOY_TIMEOUT_SECONDS = 300.0


def _positive(kind: type[int] | type[float], upper: float) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"{text} is outside 0 < value <= {upper:g}")
        return value

    return parse


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.waiting(parser)
    parser.add_argument(
        "--rps", type=_positive(float, 100000), help="peak requests per second to size the "
        "endpoint for (default: endpoint.expected_requests_per_second, else 10)",
    )  # fmt: skip
    parser.add_argument(
        "--rows", type=_positive(int, 10**11), help="rows of the dataset to size training for "
        "(default: the rows the measured execution trained on)",
    )  # fmt: skip
    parser.add_argument(
        "--requests", type=_positive(int, 100000), default=200,
        help="requests sent to the local endpoint while measuring (default 200)",
    )  # fmt: skip
    parser.add_argument(
        "--measurements", type=Path, metavar="FILE",
        help="use a measurements file instead of measuring (required for aws environments)",
    )  # fmt: skip
    parser.add_argument(
        "--save-measurements", type=Path, metavar="FILE", help="write what was measured to FILE"
    )


@command(
    "recommend",
    help="right-sized training and endpoint instances, with hourly cost, from measured runs",
    arguments=_arguments,
)
def recommend(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say, show
    from orchestrator.errors import UserError
    from orchestrator.flows import recommend as flow
    from orchestrator.recommend import measurements

    config = context.environment(args)
    choice = flow.RecommendOptions(args.rps, args.rows, args.requests, args.measurements)
    if args.measurements is not None:
        measured = measurements.load(args.measurements)
    elif config.backend == "aws":
        raise UserError(
            f"recommend measures the model on this machine, and environment {config.name}'s "
            "model and data live in its AWS account: measure a local environment trained on the "
            "same dataset (`orchestrator recommend --env local --save-measurements m.json`), "
            f"then pass it: `orchestrator recommend --env {config.name} --measurements m.json`"
        )
    else:
        poll = context.poll(args, DEFAULT_DEPLOY_TIMEOUT_SECONDS)
        with context.backend(args, config) as backend:
            measured = flow.measure(backend, config, choice, poll, say)
    if args.save_measurements is not None:
        measurements.save(measured, args.save_measurements)
        say(f"measurements written to {args.save_measurements}")
    result = flow.recommend(config, measured, choice)
    show(args.output, result, _pairs(result))
    return 0 if result["complete"] else 1


def _pairs(result: dict[str, Any]) -> list[tuple[str, Any]]:
    endpoint, training = result["endpoint"]["chosen"], result["training"]["chosen"]
    measured = result["measured"]
    prices = result["prices"]
    return [
        ("environment", result["environment"]),
        ("endpoint", f"{endpoint['count']} x {endpoint['instance_type']}, "
                     f"${endpoint['usd_per_hour']:g}/hour" if endpoint else "none"),
        ("training", f"{training['instance_type']}, ${training['usd_per_hour']:g}/hour, about "
                     f"${training['tuning_cost_usd']:g} per tuning run" if training else "none"),
        ("why (endpoint)", result["explanation"]["endpoint"]),
        ("why (training)", result["explanation"]["training"]),
        ("measured", f"p99 {measured['endpoint']['latency_p99_ms']:g} ms per request, "
                     f"{measured['largest_worker_mib']:g} MiB per serving worker, "
                     f"{measured['seconds_per_million_rows']:,.0f} s of training per million "
                     f"rows ({measured['training']['source']})"),
        ("assumed", " ".join(result["assumed"])),
        ("prices", f"{prices['region']} on-demand, as of {prices['prices_as_of']} "
                   f"(table {prices['table']}, compiled {prices['compiled_on']})"),
        *(("note", note) for note in result["notes"]),
    ]  # fmt: skip
