"""The Endpoints page's data: what serves (the live config, its variants and weights), latency
and errors of the last hour, the deployment history (``endpoint history``'s events, rollbacks
marked), and the drift reports ``orchestrator monitor run`` wrote (``drift.py``)."""

from __future__ import annotations

from typing import Any

from orchestrator.backends.aws.monitoring_schedule import schedule_name
from orchestrator.backends.base import Backend
from orchestrator.flows import history
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui import charts
from orchestrator.ui.aws_endpoint import endpoint_metrics, live_config
from orchestrator.ui.drift import drift_reports
from orchestrator.ui.local_metrics import local_endpoint_metrics

LOCAL_LIVE_NOTE = (
    "a local endpoint lives only as long as the command that started it (`orchestrator run`, "
    "`orchestrator endpoint serve`); this UI does not start one"
)


def _history(backend: Backend) -> list[dict[str, Any]]:
    events = []
    for event in reversed(history.read(backend)):
        package = event.package
        events.append(
            {
                "at": event.at.strftime("%Y-%m-%d %H:%M:%S"),
                "who": event.who,
                "command": event.command,
                "action": event.action,
                "outcome": event.outcome,
                "rollback": event.command == "rollback" or event.outcome == "RolledBack",
                "version": package.version if package else None,
                "group": package.group if package else None,
                "reason": event.reason,
                "config_before": event.config_before,
                "config_after": event.config_after,
            }
        )
    return events


def _live(backend: Backend) -> dict[str, Any]:
    if backend.name == "aws":
        return live_config(backend)
    url = backend.endpoints.url
    variants = (
        [
            {
                "name": "local",
                "weight": 1.0,
                "desired_weight": 1.0,
                "instances": 1,
                "instance_type": "this machine",
                "serverless": None,
            }
        ]
        if url
        else []
    )
    return {
        "status": "InService" if url else "NotServing",
        "config": None,
        "failure_reason": None,
        "variants": variants,
        "note": None if url else LOCAL_LIVE_NOTE,
    }


def _charts(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    labels = metrics["labels"]
    return [
        charts.line_chart(
            "Latency",
            labels,
            {"average": metrics["latency_average_ms"], "p99": metrics["latency_p99_ms"]},
            "ms",
        ),
        charts.line_chart("Requests", labels, {"requests": metrics["requests"]}, "per minute"),
        charts.line_chart(
            "Errors",
            labels,
            {"4xx": metrics["errors_4xx"], "5xx": metrics["errors_5xx"]},
            "per minute",
        ),
    ]


def endpoints_page(backend: Backend, config: EnvironmentConfig) -> dict[str, Any]:
    live = _live(backend)
    if backend.name == "aws":
        names = [v["name"] for v in live["variants"]]
        metrics = endpoint_metrics(backend, names) if names else None
    else:
        metrics = local_endpoint_metrics(config)
    serving = backend.endpoints.serving()
    return {
        "environment": config.name,
        "endpoint": backend.outputs.endpoint_name,
        "serving": serving,
        "live": live,
        "metrics": metrics,
        "charts": _charts(metrics) if metrics else [],
        "history": _history(backend),
        "monitoring": drift_reports(
            config, schedule_name(backend.outputs) if backend.name == "aws" else None
        ),
    }
