"""``orchestrator render``: the environment file as ``<env>.tfvars.json`` for Terraform.

``--check`` is for CI: it writes nothing and exits 1 when the committed file is stale.
"""

from __future__ import annotations

import argparse
import sys

from orchestrator.cli import options
from orchestrator.cli.registry import command


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.terraform(parser)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the committed file is stale"
    )


@command("render", help="render <env>.tfvars.json", arguments=_arguments)
def render(args: argparse.Namespace) -> int:
    """Write ``<env>.tfvars.json``; with ``--check`` only compare (exit 1 when stale)."""
    from orchestrator.cli.context import environment
    from orchestrator.infra.render import render as render_environment

    config = environment(args)
    result = render_environment(config, args.terraform_dir, write=not args.check)
    if args.check:
        if not result.up_to_date:
            print(
                f"stale: {result.path} does not match environments/{config.name}.yaml; refresh "
                f"it with `orchestrator render --env {config.name}` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"up to date: {result.path}")
        return 0
    print(f"{'unchanged' if result.up_to_date else 'written'}: {result.path}")
    return 0
