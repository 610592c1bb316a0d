"""``orchestrator backup``: the environment's model registry, pipeline definition and deployment
history, with its configuration and commit, as one self-describing backup (docs/dr.md)."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.registry import command


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--to", required=True, metavar="s3://BUCKET/PREFIX|DIR",
        help="where to write the backup (a new backup-<env>-<time> folder or prefix under it)",
    )  # fmt: skip
    parser.add_argument(
        "--with-artifacts", action="store_true",
        help="also copy the objects the model versions point at (model, evaluation report, "
        "schema, held-out rows): for a restore where no replica of the artifacts bucket exists",
    )  # fmt: skip
    options.stack(parser)


@command("backup", help="back up the model registry, pipeline definition and deployment "
         "history (docs/dr.md)", arguments=_arguments)  # fmt: skip
def backup(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say, show
    from orchestrator.flows.backup import backup as run_backup

    config = context.environment(args)
    with context.backend(args, config) as backend:
        result = run_backup(backend, config, args.to, say, with_artifacts=args.with_artifacts)
    show(args.output, result, list(result.items()))
    return 0
