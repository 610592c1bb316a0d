"""``monitor``: a SageMaker Model Monitor bring-your-own-container job (docs/monitoring.md).

SageMaker starts it on the schedule with its contract's environment variables
(``dataset_source``, ``output_path``, ``baseline_statistics``, ``baseline_constraints``,
``start_time``, ``end_time``, ``publish_cloudwatch_metrics``, ...); thresholds come as
``MONITOR_*`` variables built from the environment file. Exit 0 when the analysis completed
(with or without violations, and for a window without data), 1 when it cannot run (reason in
``/opt/ml/output/message``), 2 for a bad variable value.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import paths
from ..train.failure import JobFailure, run_job
from .analysis import BaselineError, analyze, baseline_features, window_statistics
from .captured import capture_files, parse_time, read_window
from .drift import Thresholds
from .outputs import metric_lines, write_metrics, write_report

DEFAULT_SOURCE = "/opt/ml/processing/input/endpoint"
DEFAULT_OUTPUT = "/opt/ml/processing/resultdata"
METRICS_DIR = "/opt/ml/output/metrics/cloudwatch"
THRESHOLD_VARIABLES = {
    "MONITOR_PSI_THRESHOLD": ("psi", float),
    "MONITOR_KS_ALPHA": ("ks_alpha", float),
    "MONITOR_CHI2_ALPHA": ("chi2_alpha", float),
    "MONITOR_MIN_ROWS": ("min_rows", int),
    "MONITOR_BINS": ("bins", int),
    "MONITOR_COMPLETENESS_DROP": ("completeness_drop", float),
}


class SettingError(ValueError):
    """A contract variable has a value the job cannot use (exit 2)."""


def thresholds_from(env: Mapping[str, str]) -> Thresholds:
    values: dict[str, Any] = {}
    for variable, (name, kind) in THRESHOLD_VARIABLES.items():
        raw = env.get(variable)
        if raw is None or not raw.strip():
            continue
        try:
            value = kind(raw)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise SettingError(f"{variable} must be {what}, got {raw!r}") from None
        if value <= 0 or (name.endswith(("alpha", "drop")) and value >= 1):
            raise SettingError(f"{variable} is out of range: {raw!r}")
        values[name] = value
    return Thresholds(**values)


def check_format(env: Mapping[str, str]) -> None:
    """Only endpoint capture is read (``sagemakerCaptureJson``); a batch transform schedule's
    CSV/JSON/Parquet ``dataset_format`` is refused by name rather than misread."""
    raw = (env.get("dataset_format") or "").strip()
    if raw and "sagemakerCaptureJson" not in raw:
        raise SettingError(
            f"dataset_format {raw!r} is not supported: this job reads endpoint data capture "
            '({"sagemakerCaptureJson": ...}); monitor a real-time endpoint'
        )


def window_from(env: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    bounds = []
    for variable in ("start_time", "end_time"):
        raw = env.get(variable)
        if raw is None or not raw.strip():
            bounds.append(None)
            continue
        try:
            bounds.append(parse_time(raw.replace(" ", "")))
        except ValueError:
            raise SettingError(
                f"{variable} must be an ISO 8601 time such as 2019-12-01T15:20:00Z, got {raw!r}"
            ) from None
    return bounds[0], bounds[1]


def run(env: Mapping[str, str]) -> dict[str, Any]:
    """One job: read the baseline and the window, write the reports (and metrics)."""
    thresholds = thresholds_from(env)
    start, end = window_from(env)
    statistics = _read_json(env, "baseline_statistics")
    constraints = _read_json(env, "baseline_constraints")
    try:
        inputs, outputs = baseline_features(statistics)
        files = capture_files(Path(env.get("dataset_source") or DEFAULT_SOURCE))
        window = read_window(files, inputs, outputs, start, end)
        report = analyze(statistics, constraints, window, thresholds, start, end)
    except BaselineError as exc:
        raise JobFailure(str(exc)) from None
    except OSError as exc:
        raise JobFailure(f"cannot read the captured data: {exc}") from None
    write_report(report, window_statistics(statistics, window), _output_dir(env))
    if env.get("publish_cloudwatch_metrics", "Disabled").strip().lower() == "enabled":
        lines = metric_lines(
            report,
            env.get("sagemaker_endpoint_name") or "local",
            env.get("sagemaker_monitoring_schedule_name") or "local",
            end or datetime.now(UTC),
        )
        write_metrics(lines, paths.reroot(METRICS_DIR))
    return report


def _output_dir(env: Mapping[str, str]) -> Path:
    raw = env.get("output_path")
    if not raw:
        return paths.reroot(DEFAULT_OUTPUT)
    return paths.reroot(raw) if raw.startswith("/opt/ml/") else Path(raw)


def _read_json(env: Mapping[str, str], variable: str) -> dict[str, Any]:
    raw = env.get(variable)
    if not raw:
        raise JobFailure(
            f"{variable} is not set; give the monitoring schedule a BaselineConfig with the "
            "model package's DriftCheckBaselines (docs/monitoring.md)"
        )
    path = paths.reroot(raw) if raw.startswith("/opt/ml/") else Path(raw)
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise JobFailure(f"cannot read {variable} {path}: {exc}") from None
    if not isinstance(document, dict):
        raise JobFailure(f"{variable} {path} is not a JSON object")
    return document


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    env = dict(os.environ)
    try:
        check_format(env)
        thresholds_from(env)
        window_from(env)
    except SettingError as exc:
        print(f"monitor: error: {exc}", file=sys.stderr)
        return 2
    outcome: dict[str, Any] = {}

    def body() -> None:
        outcome.update(run(env))

    code = run_job("monitor", body, lambda: paths.opt_ml("output", "message"))
    if code == 0:
        print(
            f"monitor: {outcome['status']}: {outcome['rows']} rows, drifted features "
            f"{outcome['drifted_features'] or 'none'}, {len(outcome['violations'])} violations",
            flush=True,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
