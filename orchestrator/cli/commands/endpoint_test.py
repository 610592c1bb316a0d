"""``orchestrator endpoint-test``: the serving version scores its held-out rows behind the
endpoint as its evaluation did, within the latency budget (exit 1 otherwise)."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.registry import command

DEFAULT_TEST_TIMEOUT_SECONDS = 900.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.dataset(parser)
    options.stack(parser)
    options.waiting(parser)


@command(
    "endpoint-test",
    help="send the serving version its held-out rows: metric and p99 latency within bounds",
    arguments=_arguments,
)
def endpoint_test(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say, show
    from orchestrator.errors import UserError
    from orchestrator.flows.endpoint_test import endpoint_test as run_test
    from orchestrator.flows.models import dataset_group

    config = context.environment(args)
    if args.dataset is not None and config.backend == "aws":
        raise UserError(
            "--dataset picks the version a local endpoint serves; an aws environment's test "
            "takes the version its endpoint serves: drop --dataset"
        )
    poll = context.poll(args, DEFAULT_TEST_TIMEOUT_SECONDS)
    with context.backend(args, config) as backend:
        group = dataset_group(backend, config, args.dataset)
        result = run_test(backend, config.endpoint.test, group, poll, say)
    summary = result.to_dict()
    pairs = [
        ("endpoint", result.endpoint),
        ("model", result.model),
        (result.metric, f"{result.measured:.4f} (registered {result.registered:.4f}, "
                        f"tolerance {result.tolerance})"),
        ("p99 latency", f"{result.p99_latency_ms} ms (budget {result.latency_budget_ms:g} ms)"),
        ("rows", f"{result.rows} in {result.requests} requests"),
        ("result", "passed" if result.passed else "FAILED: " + "; ".join(result.problems)),
    ]  # fmt: skip
    show(args.output, summary, pairs)
    return 0 if result.passed else 1
