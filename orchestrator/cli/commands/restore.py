"""``orchestrator restore``: re-create the model registry and deployment history of an
environment from a backup, in an empty account or region (docs/dr.md)."""

from __future__ import annotations

import argparse
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.registry import command


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--from", dest="source", required=True, metavar="s3://BUCKET/PREFIX|DIR",
        help="the backup folder or prefix `orchestrator backup` printed",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true", help="check everything and list what would change"
    )
    parser.add_argument(
        "--artifacts-map", action="append", default=[], metavar="OLD_PREFIX=NEW_PREFIX",
        help="point model data and lineage URIs at the replicated artifacts (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--images-map", action="append", default=[], metavar="OLD_PREFIX=NEW_PREFIX",
        help="point image URIs at the replicated repository (repeatable)",
    )  # fmt: skip
    options.stack(parser)


@command("restore", help="re-create the model registry and deployment history from a backup",
         arguments=_arguments)  # fmt: skip
def restore(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say, show
    from orchestrator.dr import mapping
    from orchestrator.dr.registry_restore import Maps
    from orchestrator.flows.restore import restore as run_restore

    maps = Maps(
        artifacts=mapping.parse(args.artifacts_map, "--artifacts-map", "s3://"),
        images=mapping.parse(args.images_map, "--images-map"),
    )
    config = context.environment(args)
    with context.backend(args, config) as backend:
        result = run_restore(backend, config, args.source, maps, say, dry_run=args.dry_run)
    show(args.output, result, _pairs(result))
    return 0


def _pairs(result: dict[str, Any]) -> list[tuple[str, Any]]:
    verb = "would register" if result["dry_run"] else "registered"
    pairs: list[tuple[str, Any]] = [("backup", result["backup"]), ("dry run", result["dry_run"])]
    for group in result["groups"]:
        registered = ", ".join(group["register"]) or "-"
        what = f"kept {len(group['kept'])}, {verb} {len(group['register'])}: {registered}"
        pairs.append((f"group {group['group']}", what))
    pairs.append(("artifacts", ", ".join(result["artifacts"]) or "-"))
    pairs.append(("history events", len(result["history_events"])))
    pairs.append(("pipeline", result["pipeline"]["recreate_with"]))
    return pairs
