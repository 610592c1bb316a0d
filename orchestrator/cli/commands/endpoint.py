"""``orchestrator endpoint serve``: serve an approved version on 127.0.0.1 in the foreground;
``orchestrator endpoint history``: who served which version on the environment's endpoint when."""

from __future__ import annotations

import argparse
import sys

from orchestrator.cli import options
from orchestrator.cli.registry import command, group

group("endpoint", "the endpoint: serve locally, deployment history")


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: environment's)")
    parser.add_argument("--version", type=int, help="a specific approved version")
    options.dataset(parser)


@command(
    "endpoint", "serve", help="serve the latest approved model (foreground)", arguments=_arguments
)
def endpoint_serve(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.errors import UserError
    from orchestrator.flows.models import dataset_group, resolve

    config = context.environment(args)
    port = args.port if args.port is not None else config.endpoint.port
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port} is not a TCP port; use 1-65535")
    with context.backend(args, config, port=port) as backend:
        serve_forever = getattr(backend.endpoints, "serve_forever", None)
        if serve_forever is None:
            raise UserError(
                f"environment {config.name} uses the {backend.name} backend, whose endpoint "
                "serves on AWS; `endpoint serve` serves on this machine (use --env local)"
            )
        package = resolve(backend, args.version, dataset_group(backend, config, args.dataset))
        serve_forever(
            package,
            lambda url: print(
                f"serving {package.group} v{package.version} at {url}/invocations (Ctrl-C to stop)",
                file=sys.stderr,
                flush=True,
            ),
        )
    return 0


def _history_arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.stack(parser)


@command(
    "endpoint",
    "history",
    help="every deploy, rollback and no-op of the endpoint: when, who, which version, outcome",
    arguments=_history_arguments,
)
def endpoint_history(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import format_table, print_json
    from orchestrator.flows import history

    with context.backend(args) as backend:
        events = history.read(backend)
        endpoint = backend.outputs.endpoint_name
    if args.output == "json":
        print_json([e.model_dump(mode="json") for e in events])
        return 0
    print(f"endpoint {endpoint}: {len(events)} deployment events")
    rows = [
        {
            "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "who": e.who,
            "command": e.command,
            "action": e.action,
            "outcome": e.outcome,
            "model": f"{e.package.group} v{e.package.version}" if e.package else "-",
            "reason": e.reason[:80],
        }
        for e in events
    ]
    print(format_table(rows, ["at", "who", "command", "action", "outcome", "model", "reason"]))
    return 0
