"""Latency and errors of the local endpoint over the last hour, from what it records: ``serve``
writes one CloudWatch Embedded Metric Format line per request to its stdout, which the local
endpoint keeps in ``<state>/endpoints/logs/<model>/serve.stdout.log``. Nothing is invented: no
recorded request in the hour is shown as such."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from orchestrator.settings.environment import EnvironmentConfig

WINDOW_SECONDS = 3600
READ_AT_MOST = 8 * 1024 * 1024  # bytes read from the end of each log


def _tail(path: Path) -> list[str]:
    with open(path, "rb") as log:
        size = log.seek(0, 2)
        log.seek(max(size - READ_AT_MOST, 0))
        return log.read().decode(errors="replace").splitlines()


def requests_in_window(folder: Path, now: float) -> list[dict[str, Any]]:
    """Every recorded ``POST /invocations`` of the last hour: its minute, latency, status."""
    found = []
    for path in sorted(folder.glob("*/serve.stdout.log")):
        for line in _tail(path):
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
                stamp = float(event["_aws"]["Timestamp"]) / 1000
            except (ValueError, KeyError, TypeError):
                continue
            if now - WINDOW_SECONDS <= stamp <= now and event.get("Path") == "/invocations":
                found.append(
                    {
                        "minute": int((now - stamp) // 60),
                        "latency": event.get("Latency"),
                        "status": int(event.get("Status", 0)),
                        "version": str(event.get("ModelVersion", "")),
                    }
                )
    return found


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def series(found: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """Per-minute values, oldest minute first (60 minutes)."""
    minutes = list(range(WINDOW_SECONDS // 60 - 1, -1, -1))
    labels = [time.strftime("%H:%M", time.localtime(now - m * 60)) for m in minutes]
    by_minute: dict[int, list[dict[str, Any]]] = {}
    for item in found:
        by_minute.setdefault(item["minute"], []).append(item)
    average, p99, requests, client, server = [], [], [], [], []
    for minute in minutes:
        items = by_minute.get(minute, [])
        latencies = [float(i["latency"]) for i in items if isinstance(i["latency"], int | float)]
        average.append(round(sum(latencies) / len(latencies), 2) if latencies else None)
        p99.append(round(_percentile(latencies, 0.99), 2) if latencies else None)
        requests.append(float(len(items)))
        client.append(float(sum(1 for i in items if 400 <= i["status"] < 500)))
        server.append(float(sum(1 for i in items if i["status"] >= 500)))
    return {
        "labels": labels,
        "latency_average_ms": average,
        "latency_p99_ms": p99,
        "requests": requests,
        "errors_4xx": client,
        "errors_5xx": server,
    }


def local_endpoint_metrics(config: EnvironmentConfig) -> dict[str, Any]:
    from orchestrator.backends.local.workspace import LocalWorkspace

    folder = LocalWorkspace(config).endpoints_root / "logs"
    now = time.time()
    found = requests_in_window(folder, now) if folder.is_dir() else []
    source = f"the local endpoint's request log ({folder}/*/serve.stdout.log)"
    note = None if found else "the local endpoint recorded no request in the last hour"
    return {"source": source, "requests_total": len(found), "note": note, **series(found, now)}
