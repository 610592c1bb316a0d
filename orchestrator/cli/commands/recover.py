"""``orchestrator recover``: re-create an aws environment in another region from a backup and
verify it (docs/dr.md, "Restore into another region or account"; flows/recover.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.registry import command

DEFAULT_RECOVER_TIMEOUT_SECONDS = 3600.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument("--region", required=True, help="the region to recover into")
    parser.add_argument(
        "--from", dest="source", required=True, metavar="s3://BUCKET/PREFIX|DIR",
        help="the backup folder or prefix `orchestrator backup` printed",
    )  # fmt: skip
    parser.add_argument(
        "--artifacts-map", action="append", default=[], metavar="OLD_PREFIX=NEW_PREFIX",
        help="the backed-up URIs' copies in the region (repeatable; default: the replicas "
        "terraform.dr.replication writes there)",
    )  # fmt: skip
    parser.add_argument(
        "--images-map", action="append", default=[], metavar="OLD_PREFIX=NEW_PREFIX",
        help="the image URIs' repository in the region (repeatable; required)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true", help="print every step's commands; change nothing"
    )
    options.stack(parser)
    options.preflight(parser)
    parser.add_argument(
        "--approve-plan", type=Path, metavar="FILE",
        help="apply this reviewed plan of the region's stack (staging/prod apply only that)",
    )  # fmt: skip
    parser.add_argument(
        "--auto-approve", action="store_true",
        help="apply the region's fresh plan unreviewed (refused for staging and prod)",
    )  # fmt: skip
    options.waiting(parser)


@command("recover", help="re-create the environment in another region from a backup, redeploy "
         "and verify it (docs/dr.md)", arguments=_arguments)  # fmt: skip
def recover(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import say, show
    from orchestrator.dr import mapping
    from orchestrator.dr.recovery import primary_source
    from orchestrator.flows.recover import RecoverOptions, StepError
    from orchestrator.flows.recover import recover as run_recover
    from orchestrator.settings.environment import load_environment

    config = load_environment(args.env, primary_source(args.environments_dir))
    recover_options = RecoverOptions(
        region=args.region,
        backup=args.source,
        artifacts=mapping.parse(args.artifacts_map, "--artifacts-map", "s3://"),
        images=mapping.parse(args.images_map, "--images-map"),
        stack=context.stack_source(args, apply=True),
        poll=context.poll(args, DEFAULT_RECOVER_TIMEOUT_SECONDS),
        dry_run=args.dry_run,
        environments=args.environments_dir,
    )
    try:
        summary, code = run_recover(config, recover_options, say)
    except StepError as failed:
        if args.output == "json":  # the steps so far, then the error on stderr as always
            show(args.output, failed.summary, [])
        raise
    show(args.output, summary, _pairs(summary))
    return code


def _pairs(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        ("environment", f"{summary['environment']} in {summary['region']}"),
        ("backup", summary["backup"]),
        ("dry run", summary["dry_run"]),
    ]
    for name, step in summary["steps"].items():
        would = step.get("would_run")
        if isinstance(would, list):
            would = "; ".join(would)
        pairs.append((name, would or _said(name, step, summary["dry_run"])))
    return pairs


def _said(name: str, step: dict[str, Any], dry_run: bool) -> str:
    if name == "restore":
        count = sum(len(g["register"]) for g in step["groups"])
        return f"would register {count} versions" if dry_run else f"{count} versions registered"
    if name == "verify":
        return (
            f"passed: {step['metric']} {step['measured']:.4f} (backup {step['backed_up_metric']})"
        )
    if name == "deploy":
        return str(step.get("model"))
    return ", ".join(f"{k}={v}" for k, v in step.items())
