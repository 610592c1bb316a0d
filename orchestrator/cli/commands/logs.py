"""``orchestrator logs``: one execution's or the endpoint's logs, locally (the local backend's
files) and on AWS (SageMaker's CloudWatch Logs groups), once or followed."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from orchestrator.cli import options
from orchestrator.cli.registry import command

if TYPE_CHECKING:
    from orchestrator.backends.logs import LogEvent

DEFAULT_FOLLOW_INTERVAL = 5.0


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--execution", metavar="ID", help="a pipeline execution's id (or 'latest'): its steps' jobs"
    )
    which.add_argument(
        "--endpoint", metavar="NAME", help="the endpoint (local: 'local'; aws: the stack's)"
    )
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="only events since: a duration back from now (90s, 15m, 1h, 2d) or an ISO 8601 "
        "time (default: an execution's whole log, an endpoint's last hour)",
    )
    parser.add_argument(
        "--follow", action="store_true", help="keep reading new events until Ctrl-C (exit 0)"
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive,
        default=DEFAULT_FOLLOW_INTERVAL,
        help=f"with --follow: seconds between reads (default {DEFAULT_FOLLOW_INTERVAL:g})",
    )
    parser.add_argument(
        "--timeout", type=_positive, help="with --follow: stop after this many seconds (exit 0)"
    )
    options.stack(parser)


@command(
    "logs",
    help="an execution's or the endpoint's logs (--follow to keep reading); --output json: "
    "one JSON object per line",
    arguments=_arguments,
)
def logs(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say
    from orchestrator.errors import UserError
    from orchestrator.flows.logs import (
        LogTarget,
        default_since,
        parse_since,
        read_logs,
        refresher,
        sources_for,
    )

    if args.timeout is not None and not args.follow:
        raise UserError("--timeout bounds --follow; add --follow or drop --timeout")
    target = LogTarget(execution=args.execution, endpoint=args.endpoint)
    since = parse_since(args.since) if args.since else default_since(target)

    emit = _printer(args.output)
    with context.backend(args) as backend:
        what, sources = sources_for(backend, target)
        refresh = refresher(backend, target) if args.follow else None
        if not sources and refresh is None:
            say(f"{what}: no logs (no step ran a job, or nothing was served yet)")
            return 0
        if sources:
            say(f"{what}: " + ", ".join(sorted({s.describe() for s in sources})))
        try:
            count = read_logs(
                backend, sources, since, emit, say,
                follow=args.follow, interval=args.poll_interval, timeout=args.timeout,
                refresh=refresh,
            )  # fmt: skip
        except KeyboardInterrupt:
            say("stopped")
            return 0
    if not args.follow and count == 0:
        say(f"{what}: no events" + (f" since {since.isoformat()}" if since else ""))
    return 0


def _printer(output: str) -> Callable[[LogEvent], None]:
    """One event per line on stdout, flushed: JSON (``--output json``) or ``time [source] text``."""
    import sys

    def emit(event: LogEvent) -> None:
        if output == "json":
            import orjson

            sys.stdout.write(orjson.dumps(event.to_dict()).decode() + "\n")
        else:
            stamp = event.timestamp
            when = stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if stamp else "-"
            sys.stdout.write(f"{when} [{event.source}] {event.message}\n")
        sys.stdout.flush()

    return emit
