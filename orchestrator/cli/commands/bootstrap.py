"""``orchestrator bootstrap``: the Terraform state bucket, its key and the backend file of an aws
environment, created idempotently before the stack exists (docs/bootstrap.md)."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.console import format_table, print_json, say
from orchestrator.cli.registry import command


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read the current state and print the calls a real run would make; change nothing",
    )
    options.terraform(parser)  # backends/<env>.s3.tfbackend is written under it


@command(
    "bootstrap",
    help="create the Terraform state bucket and key of an environment; write its backend file",
    arguments=_arguments,
)
def bootstrap(args: argparse.Namespace) -> int:
    from orchestrator.bootstrap.run import bootstrap as run_bootstrap
    from orchestrator.cli import context
    from orchestrator.infra.render import terraform_dir

    config = context.environment(args)
    report = run_bootstrap(config, terraform_dir(args.terraform_dir), apply=not args.dry_run)
    if args.output == "json":
        print_json(report.to_dict())
        return 0
    verb = {"created": "would create", "updated": "would update", "unchanged": "unchanged"}
    rows = [
        {
            "step": outcome.step,
            "status": verb[outcome.status] if report.dry_run else outcome.status,
            "detail": outcome.detail,
        }
        for outcome in report.outcomes
    ]
    print(format_table(rows, ["step", "status", "detail"]))
    if report.dry_run:
        calls = [call.describe() for outcome in report.outcomes for call in outcome.calls]
        print("\nplanned calls (dry run, nothing was changed):")
        print("\n".join(f"  {line}" for line in calls) or "  none")
        print("\nthe backend file would read:\n" + "".join(report.backend_text))
    say(f"{report.names.environment}: state s3://{report.names.bucket}/{report.names.key} in "
        f"account {report.names.account_id}, as {report.caller}")  # fmt: skip
    return 0
