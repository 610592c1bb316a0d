"""`orchestrator monitor run` on the local backend writes its metrics as CloudWatch EMF lines in
the report folder (issue 19): the same datapoints an AWS run publishes with PutMetricData, read
back here and checked against the EMF specification's rules; `--no-metrics` writes none."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ml_containers.monitor.statistics import (
    dataset_constraints,
    dataset_statistics,
    numeric_column,
    string_column,
)
from ml_containers.serve.capture import capture_record

from orchestrator.backends.local.backend import local_backend
from orchestrator.backends.metrics import EMF_FILE
from orchestrator.cli.app import main
from orchestrator.flows.monitor_metrics import NAMESPACE
from orchestrator.settings.capture import hour_prefixes
from orchestrator.settings.environment import load_environment

GROUP = "mlops-local-models-breast-cancer"
HOUR = datetime(2026, 12, 5, 9, tzinfo=UTC)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A local environment with an Approved version, its baseline and an hour of capture with
    ``spend`` shifted; returns the environments folder."""
    folder = tmp_path / "environments"
    _write(
        folder / "local.yaml",
        f"name: local\nbackend: local\nlocal:\n  state_dir: {tmp_path / 'state'}\n",
    )
    rng = np.random.default_rng(7)
    statistics = dataset_statistics(
        [
            numeric_column("spend", rng.normal(50, 10, 3000), integral=False),
            string_column("plan", list(rng.choice(["basic", "premium"], 3000, p=[0.7, 0.3]))),
        ]
    )
    backend = local_backend(load_environment("local", folder))
    try:
        evaluation = f"s3://{backend.outputs.artifacts_bucket}/runs/e/Evaluate/output/evaluation"
        for name, document in (
            ("statistics.json", statistics),
            ("constraints.json", dataset_constraints(statistics)),
            ("evaluation.json", {"metrics": {"auc": {"value": 0.9}}}),
        ):
            _write(backend.artifacts.path(f"{evaluation}/{name}"), json.dumps(document))
        backend.registry.ensure_group(GROUP)
        backend.registry.register(
            GROUP,
            model_data_url="s3://b/m.tar.gz",
            image_uri="",
            approval_status="Approved",
            metrics_uri=f"{evaluation}/evaluation.json",
        )
        when = HOUR + timedelta(minutes=10)
        lines = []
        for _ in range(300):
            row = f"{rng.normal(65, 10)},{rng.choice(['basic', 'premium'], p=[0.7, 0.3])}"
            record = capture_record("text/csv", row.encode(), "text/csv", b"1\n", when)
            lines.append(json.dumps(record))
        [prefix] = hour_prefixes(backend.outputs, "AllTraffic", HOUR, HOUR + timedelta(hours=1))
        _write(backend.artifacts.path(f"{prefix}/10-00-000-x.jsonl"), "\n".join(lines))
    finally:
        backend.close()
    return folder


def _run(environments: Path, report: Path, *extra: str) -> int:
    argv = ["monitor", "run", "--environments-dir", str(environments), "--since",
            f"{HOUR:%Y-%m-%dT%H:%M:%SZ}", "--until", "2026-12-05T10:00:00Z", "--report",
            str(report), "--output", "json", *extra]  # fmt: skip
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _check_emf(line: dict[str, Any]) -> None:
    """The EMF specification's rules for one event: a Timestamp in ms, each directive's
    dimensions and metrics naming root members (string dimension values, numeric values)."""
    meta = line["_aws"]
    assert isinstance(meta["Timestamp"], int)
    for directive in meta["CloudWatchMetrics"]:
        assert directive["Namespace"] == NAMESPACE
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            assert all(isinstance(line[name], str) for name in dimension_set)
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            assert isinstance(line[metric["Name"]], float)


def test_a_local_run_writes_the_metrics_as_emf_lines_beside_the_report(
    served: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "report"
    code = _run(served, folder)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["drifted_features"] == ["spend"]
    assert report["metrics"] == {
        "published": True,
        "destination": "file",
        "namespace": NAMESPACE,
        "datapoints": 5,
        "file": str(folder / EMF_FILE),
    }
    lines = [json.loads(text) for text in (folder / EMF_FILE).read_text().splitlines()]
    for line in lines:
        _check_emf(line)
    [run] = [line for line in lines if "Feature" not in line]
    assert run["EndpointName"] == "mlops-local-endpoint"
    assert run["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["EndpointName"]]
    assert (run["drift_detected"], run["drifted_features"], run["rows_analyzed"]) == (1, 1, 300)
    per_feature = {line["Feature"]: line["feature_psi"] for line in lines if "Feature" in line}
    assert per_feature == {f["name"]: f["psi"] for f in report["features"]}
    assert json.loads((folder / "drift_report.json").read_text())["metrics"] == report["metrics"]


def test_no_metrics_writes_no_emf_file(
    served: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "report"
    assert _run(served, folder, "--no-metrics") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["metrics"] == {"published": False, "reason": "--no-metrics"}
    assert not (folder / EMF_FILE).exists()
    assert (folder / "drift_report.json").is_file()
