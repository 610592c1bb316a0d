"""``orchestrator monitor run``: the captured window of the served model against its baseline.

Written once against the backend protocols: the capture files are read through the backend's
ArtifactStore (the local store, or S3) from the hour folders SageMaker's layout gives the window
(``settings/capture.py``); the baseline is the served version's, found through the deployment
history (or the latest Approved version when nothing was deployed); the statistics are the
container's own (``ml_containers.monitor``), so this command and the scheduled ``monitor`` job on
AWS cannot disagree.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ml_containers.monitor.analysis import BaselineError, analyze, baseline_features
from ml_containers.monitor.analysis import window_statistics as statistics_of_window
from ml_containers.monitor.captured import CapturedWindow, capture_files, parse_time, read_window
from ml_containers.monitor.drift import Thresholds
from ml_containers.monitor.outputs import write_report

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage, RegistryError
from orchestrator.errors import UserError
from orchestrator.flows import history
from orchestrator.flows.models import dataset_group, resolve
from orchestrator.flows.monitor_locations import baseline_uris, reports_dir
from orchestrator.flows.monitor_metrics import publish_with_report
from orchestrator.settings.capture import hour_prefixes, variant_prefix
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.monitoring import MonitoringSettings

DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class MonitorRequest:
    since: str | None = None
    until: str | None = None
    version: int | None = None
    dataset: str | None = None
    report_dir: Path | None = None
    metrics: bool = True  # publish the run's CloudWatch metrics (monitor_metrics.py)


def parse_window(
    since: str | None, until: str | None, now: datetime, default_hours: int
) -> tuple[datetime, datetime]:
    """``[start, end)`` from ``--since``/``--until``: a duration back from now (``24h``, ``90m``,
    ``7d``, ``2w``) or an ISO 8601 time; UserError naming the flag otherwise."""
    end = now if until is None else _moment(until, "--until", now)
    if since is None:
        start = end - timedelta(hours=default_hours)
    else:
        start = _moment(since, "--since", now)
    if start >= end:
        raise UserError(
            f"the window is empty: --since ({_iso(start)}) is not before --until ({_iso(end)})"
        )
    if end - start > MAX_WINDOW:
        raise UserError(f"the window is longer than {MAX_WINDOW.days} days; narrow --since")
    return start, end


def _moment(text: str, flag: str, now: datetime) -> datetime:
    match = DURATION.match(text.strip())
    if match:
        amount = int(match.group(1))
        if amount == 0:
            raise UserError(f"{flag} {text!r} is a zero duration; use e.g. 24h")
        return now - timedelta(**{UNITS[match.group(2)]: amount})
    try:
        moment: datetime = parse_time(text)
    except ValueError:
        raise UserError(
            f"{flag} {text!r} is neither a duration back from now (24h, 90m, 7d, 2w) nor an ISO "
            "8601 time (2026-12-05T10:00:00Z)"
        ) from None
    return moment


def thresholds(settings: MonitoringSettings) -> Thresholds:
    return Thresholds(
        psi=settings.psi_threshold,
        ks_alpha=settings.ks_alpha,
        chi2_alpha=settings.chi2_alpha,
        min_rows=settings.min_rows,
        bins=settings.bins,
        completeness_drop=settings.completeness_drop,
    )


def served_package(
    backend: Backend, config: EnvironmentConfig, version: int | None, dataset: str | None
) -> ModelPackage:
    """``--version`` of the dataset's group; else the version the deployment history says
    serves (``run`` and ``deploy`` record it); else the latest Approved version
    (``endpoint serve`` records nothing)."""
    group = dataset_group(backend, config, dataset)
    if version is not None or dataset is not None:
        return resolve(backend, version, group, purpose="monitored")
    served = history.served(history.read(backend))
    if served and served[-1].package is not None:
        record = served[-1].package
        try:
            return backend.registry.get(record.group, record.version)
        except RegistryError:
            pass  # deleted since: fall back to what would be served now
    return resolve(backend, None, group, purpose="monitored")


def baseline_of(backend: Backend, package: ModelPackage) -> tuple[dict[str, Any], dict[str, Any]]:
    """The package's baseline ``statistics.json`` and ``constraints.json``."""
    documents = []
    for uri in baseline_uris(package):
        if not uri or not backend.artifacts.exists(uri):
            raise UserError(
                f"version {package.version} of {package.group} has no drift baseline (it was "
                "registered before Evaluate wrote one): run the pipeline again "
                "(`orchestrator run`) and deploy the new version, or pick one with --version"
            )
        try:
            document = json.loads(backend.artifacts.read_bytes(uri))
        except (ValueError, OSError) as exc:  # ArtifactError is a ValueError
            raise UserError(f"cannot read the baseline {uri}: {exc}") from None
        documents.append(document)
    return documents[0], documents[1]


def read_captured(
    backend: Backend,
    config: EnvironmentConfig,
    statistics: dict[str, Any],
    start: datetime,
    end: datetime,
) -> CapturedWindow:
    """The window's captured rows, from the hour folders that can hold them."""
    inputs, outputs = baseline_features(statistics)
    variant = config.endpoint.variant_name
    with tempfile.TemporaryDirectory(prefix="capture-") as scratch:
        for number, prefix in enumerate(hour_prefixes(backend.outputs, variant, start, end)):
            if backend.artifacts.exists(prefix):
                backend.artifacts.download(prefix, Path(scratch) / f"{number:05d}")
        return read_window(capture_files(Path(scratch)), inputs, outputs, start, end)


def monitor_run(
    backend: Backend, config: EnvironmentConfig, request: MonitorRequest, now: datetime
) -> dict[str, Any]:
    """The drift report of the window; its files written to the report folder, then its
    metrics published (CloudWatch on AWS, EMF lines in the folder locally)."""
    settings = config.monitoring
    start, end = parse_window(request.since, request.until, now, settings.default_window_hours)
    package = served_package(backend, config, request.version, request.dataset)
    statistics, constraints = baseline_of(backend, package)
    try:
        window = read_captured(backend, config, statistics, start, end)
        report: dict[str, Any] = analyze(
            statistics, constraints, window, thresholds(settings), start, end
        )
    except BaselineError as exc:
        raise UserError(f"version {package.version} of {package.group}: {exc}") from None
    where = variant_prefix(backend.outputs, config.endpoint.variant_name)
    _refuse_without_verdict(report, config, where, start, end)
    report["environment"] = config.name
    report["model"] = {"group": package.group, "version": package.version, "arn": package.arn}
    report["capture"] = where
    folder = request.report_dir or reports_dir(config) / _stamp(now)
    report["report_dir"] = str(folder)
    try:
        write_report(report, statistics_of_window(statistics, window), folder)
    except OSError as exc:
        raise UserError(
            f"cannot write the report to {folder}: {exc}; pass another --report"
        ) from None
    publish_with_report(backend, report, folder, now, request.metrics)
    return report


def _refuse_without_verdict(
    report: dict[str, Any], config: EnvironmentConfig, where: str, start: datetime, end: datetime
) -> None:
    """No rows, or too few for a verdict: a user's input problem (exit 2), with the fix."""
    if report["status"] == "no_data":
        percent = config.endpoint.data_capture_percent
        fix = (
            "capture is off (endpoint.data_capture_percent: 0): set it above 0 and redeploy"
            if percent == 0
            else "send requests to the endpoint, or widen the window with --since (e.g. 7d)"
        )
        raise UserError(
            f"no captured requests between {_iso(start)} and {_iso(end)} under {where}: {fix}"
        )
    if report["status"] == "insufficient_data":
        raise UserError(
            f"only {report['rows']} captured rows between {_iso(start)} and {_iso(end)}, fewer "
            f"than monitoring.min_rows ({config.monitoring.min_rows}) a verdict needs: widen the "
            "window with --since, or lower monitoring.min_rows"
        )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
