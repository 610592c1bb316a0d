"""The Endpoints page's drift reports: the ``orchestrator monitor run`` reports kept in the
state folder (``flows.monitor_locations.reports_dir``: ``<state>/monitoring/<env>/<UTC stamp>/``),
newest first, each linked to its HTML page.

Why only those: a report is what ``monitor run`` wrote, so the page shows the same verdicts the
CLI printed and adds no second source of truth. On AWS the Model Monitor schedule
``<endpoint>-drift`` also writes reports to S3 and its ``drift_detected`` metric alarms
(docs/monitoring.md); the page names the schedule rather than copying those.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ml_containers.monitor.outputs import HTML_FILE, REPORT_FILE

from orchestrator.flows.monitor_locations import reports_dir
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui.errors import NotFound

SHOWN = 10
STAMP = re.compile(r"^\d{8}T\d{6}Z$")  # flows.monitor's folder names; nothing else is served


def _summary(stamp: str, report: dict[str, Any]) -> dict[str, Any]:
    window = report.get("window") or {}
    model = report.get("model") or {}
    return {
        "stamp": stamp,
        "status": report.get("status"),
        "start": window.get("start"),
        "end": window.get("end"),
        "rows": report.get("rows"),
        "version": model.get("version"),
        "drifted": [*report.get("drifted_features", []), *report.get("drifted_predictions", [])],
        "url": f"/endpoints/drift/{stamp}",
    }


def drift_reports(config: EnvironmentConfig, schedule: str | None) -> dict[str, Any]:
    """The newest reports (a report that cannot be read is listed with its error);
    ``schedule``: the AWS endpoint's Model Monitor schedule, None locally."""
    folder = reports_dir(config)
    stamps = sorted(
        (p.name for p in folder.iterdir() if STAMP.match(p.name) and (p / REPORT_FILE).is_file())
        if folder.is_dir()
        else [],
        reverse=True,
    )
    reports = []
    for stamp in stamps[:SHOWN]:
        try:
            reports.append(_summary(stamp, json.loads((folder / stamp / REPORT_FILE).read_text())))
        except (OSError, ValueError) as exc:
            reports.append({"stamp": stamp, "status": "unreadable", "error": str(exc)})
    return {
        "available": bool(reports),
        "reports": reports,
        "total": len(stamps),
        "schedule": schedule,
        "note": None
        if reports
        else "no drift report yet: run `orchestrator monitor run --env "
        f"{config.name}` after the endpoint has captured requests (docs/monitoring.md)",
    }


def report_page(config: EnvironmentConfig, stamp: str) -> str:
    """One report's HTML page, as ``monitor run`` wrote it (self-contained, no scripts)."""
    path = reports_dir(config) / stamp / HTML_FILE
    if not STAMP.match(stamp) or not path.is_file():
        raise NotFound(f"no drift report {stamp!r} in {reports_dir(config)}")
    return str(path.read_text())
