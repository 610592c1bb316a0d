"""``orchestrator data restore``: a prefix of the artifact store back to a point in time, from
its object versions (docs/dr.md)."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.console import format_table, print_json
from orchestrator.cli.registry import command, group

group("data", "data in the environment's buckets: point-in-time restore")


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--prefix", required=True, metavar="s3://BUCKET/PREFIX",
        help="the objects to restore (locally the same URI names the local store's copy)",
    )  # fmt: skip
    parser.add_argument(
        "--to-time", required=True, metavar="ISO8601", help="e.g. 2024-05-01T12:00:00Z"
    )
    parser.add_argument("--dry-run", action="store_true", help="list the changes, make none")
    options.stack(parser)


@command("data", "restore", help="restore a prefix to a point in time from object versions",
         arguments=_arguments)  # fmt: skip
def data_restore(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say
    from orchestrator.dr.point_in_time import parse_time, restore_prefix

    at = parse_time(args.to_time)
    config = context.environment(args)
    with context.backend(args, config) as backend:
        result = restore_prefix(backend.artifacts, args.prefix, at, say, dry_run=args.dry_run)
    if args.output == "json":
        print_json(result)
        return 0
    columns = ["action", "uri", "current_version", "restored_version"]
    print(format_table(result["changes"], columns))
    verb = "would change" if result["dry_run"] else "changed"
    print(f"{len(result['changes'])} objects {verb}, {result['unchanged']} already as at "
          f"{result['to_time']}")  # fmt: skip
    return 0
