"""``orchestrator monitor run``: drift of the served model's captured requests against its
baseline (docs/monitoring.md). Exit 0 no drift, 1 drift (or another violation), 2 bad input."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator.cli import options
from orchestrator.cli.registry import command, group

group("monitor", "model monitoring: drift of captured requests against the baseline")


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    parser.add_argument(
        "--since",
        help="window start: a duration back from now (24h, 90m, 7d) or an ISO 8601 time "
        "(default: monitoring.default_window_hours, 24h)",
    )
    parser.add_argument("--until", help="window end, same forms as --since (default: now)")
    parser.add_argument(
        "--version", type=int, help="the model version whose baseline to use (default: served)"
    )
    options.dataset(parser)
    options.stack(parser)
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write drift_report.json/.html, constraint_violations.json and statistics.json "
        "here (default: <state dir>/monitoring/<env>/<time>)",
    )
    parser.add_argument(
        "--no-metrics",
        action="store_true",
        help="do not publish the run's metrics (CloudWatch namespace MLOps/ModelMonitor on AWS; "
        "locally drift_metrics.emf.jsonl in the report folder)",
    )


@command(
    "monitor",
    "run",
    help="compare the captured window with the served model's baseline (PSI, KS, chi-squared)",
    arguments=_arguments,
)
def monitor_run(args: argparse.Namespace) -> int:
    from orchestrator.cli import context
    from orchestrator.cli.console import show
    from orchestrator.flows import history
    from orchestrator.flows import monitor as flow

    config = context.environment(args)
    request = flow.MonitorRequest(
        args.since, args.until, args.version, args.dataset, args.report, not args.no_metrics
    )
    with context.backend(args, config) as backend:
        report = flow.monitor_run(backend, config, request, history.now())
    show(args.output, report, _pairs(report))
    return 0 if report["status"] == "ok" else 1


def _pairs(report: dict[str, Any]) -> list[tuple[str, Any]]:
    model = report["model"]
    window = report["window"]
    drifted = [f for f in [*report["features"], *report["predictions"]] if f["drifted"]]
    return [
        ("status", report["status"]),
        ("model", f"{model['group']} v{model['version']}"),
        ("window", f"{window['start']} .. {window['end']}"),
        ("rows", f"{report['rows']} from {report['records']} captured requests"),
        ("drifted", ", ".join(f"{f['name']} (PSI {f['psi']:.3f})" for f in drifted) or "none"),
        *(("violation", f"{v['feature_name']}: {v['description']}") for v in report["violations"]),
        ("report", report["report_dir"]),
        ("metrics", _metrics(report["metrics"])),
    ]


def _metrics(metrics: dict[str, Any]) -> str:
    if not metrics["published"]:
        return f"not published ({metrics.get('reason', 'failed')})"
    where = metrics.get("file") or "CloudWatch"
    return f"{metrics['datapoints']} datapoints in {metrics['namespace']} ({where})"
