"""``orchestrator preflight``: the stack and the orchestrator against AWS's rules."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestrator.cli import options
from orchestrator.cli.console import format_table, print_json, say
from orchestrator.cli.registry import command


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--offline",
        action="store_true",
        help="only the checks that need no AWS call (skips quotas, account, state bucket, image)",
    )
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="the plan as `terraform show -json` printed it (default: plan now)",
    )
    options.terraform(parser)


@command(
    "preflight",
    help="check the stack and the orchestrator against AWS's rules before applying",
    arguments=_arguments,
)
def preflight(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.infra.stack import require_aws
    from orchestrator.preflight.gather import fresh_plan, gather, read_plan
    from orchestrator.preflight.run import run_preflight

    config = context.environment(args)
    require_aws(config, "preflight")
    plan = read_plan(args.plan) if args.plan else fresh_plan(config, args.terraform_dir)
    report = run_preflight(gather(config, plan=plan, offline=args.offline), offline=args.offline)
    if args.output == "json":
        print_json(report.to_dict())
    else:
        rows = [f.to_dict() for f in report.findings]
        if rows:
            print(format_table(rows, ["rule", "resource", "problem", "fix"]))
        skipped = ", ".join(f"{name} ({why})" for name, why in report.skipped.items())
        say(f"{len(report.ran)} rules run, {len(report.findings)} findings"
            + (f"; skipped: {skipped}" if skipped else ""))  # fmt: skip
    return 0 if report.passed else 1
