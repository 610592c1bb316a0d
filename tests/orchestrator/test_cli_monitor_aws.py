"""`orchestrator monitor run --env dev` against moto (issue 19): the capture objects SageMaker
writes under the endpoint config's DestinationS3Uri are read from S3 for the window's hours, the
served version's baseline is found beside its ModelQuality report (where Evaluate wrote it and
DriftCheckBaselines points), and the verdict is the same code's as locally: exit 0 for a quiet
window, 1 naming the drifted feature, 2 for a window without capture."""

from __future__ import annotations

import json
import sys
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    GROUP,
    IMAGE,
    PREFIX,
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    stack,
)

from orchestrator.backends.aws import AwsModelRegistry

ARTIFACTS = f"{PREFIX}-artifacts-{ACCOUNT}"
ENDPOINT = f"{PREFIX}-endpoint"
RNG = np.random.default_rng(5)
HOUR = datetime(2026, 12, 5, 9, tzinfo=UTC)
# the window of put_capture(aws, 70, ...): the next hour's folder, shifted rows
DRIFT_WINDOW = (HOUR + timedelta(minutes=30), HOUR + timedelta(hours=2))


def register_with_baseline(aws: dict[str, Any]) -> None:
    """An Approved version whose evaluation folder holds the baseline of two features."""
    statistics = dataset_statistics(
        [
            numeric_column("spend", RNG.normal(50, 10, 3000), integral=False),
            string_column("plan", list(RNG.choice(["basic", "premium"], 3000, p=[0.7, 0.3]))),
        ]
    )
    folder = "runs/exec-1/Evaluate/output/evaluation"
    for name, document in (
        ("statistics.json", statistics),
        ("constraints.json", dataset_constraints(statistics)),
        ("evaluation.json", {"metrics": {"auc": {"value": 0.9}}}),
    ):
        aws["s3"].put_object(Bucket=ARTIFACTS, Key=f"{folder}/{name}", Body=json.dumps(document))
    registry = AwsModelRegistry(aws["sagemaker"])
    registry.ensure_group(GROUP)
    registry.register(
        GROUP,
        model_data_url=f"s3://{ARTIFACTS}/models/1/model.tar.gz",
        image_uri=IMAGE,
        approval_status="Approved",
        metrics_uri=f"s3://{ARTIFACTS}/{folder}/evaluation.json",
    )


def put_capture(aws: dict[str, Any], minute: int, shift: float) -> None:
    """300 captured requests at HOUR + minute, as SageMaker lays them out."""
    when = HOUR + timedelta(minutes=minute)
    lines = []
    for _ in range(300):
        row = f"{RNG.normal(50 + shift, 10)},{RNG.choice(['basic', 'premium'], p=[0.7, 0.3])}"
        record = capture_record("text/csv", row.encode(), "text/csv", b"1\n", when)
        lines.append(json.dumps(record))
    folder = f"data-capture/{ENDPOINT}/{ENDPOINT}/AllTraffic/{when:%Y/%m/%d/%H}"
    key = f"{folder}/{minute:02d}-00-000-x.jsonl"
    aws["s3"].put_object(Bucket=ARTIFACTS, Key=key, Body="\n".join(lines).encode())


def monitor(
    environments: Path, flags: list[str], since: datetime, until: datetime, report: Path
) -> int:
    return cli(environments, "monitor", "run", "--stack-outputs", flags[1], "--since",
               f"{since:%Y-%m-%dT%H:%M:%SZ}", "--until", f"{until:%Y-%m-%dT%H:%M:%SZ}",
               "--report", str(report), "--output", "json")  # fmt: skip


def test_capture_in_s3_is_judged_against_the_served_versions_baseline(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    put_capture(aws, 10, shift=0.0)
    put_capture(aws, 70, shift=15.0)  # the next hour's folder

    quiet = monitor(environments, flags, HOUR, HOUR + timedelta(minutes=30), tmp_path / "quiet")
    out = capsys.readouterr().out
    assert quiet == 0, out
    report = json.loads(out)
    assert report["rows"] == 300 and report["status"] == "ok"
    assert report["model"]["group"] == GROUP and report["model"]["version"] == 1

    drifted = monitor(environments, flags, *DRIFT_WINDOW, tmp_path / "drift")
    report = json.loads(capsys.readouterr().out)
    assert drifted == 1
    assert report["rows"] == 300 and report["drifted_features"] == ["spend"]
    assert report["capture"] == f"s3://{ARTIFACTS}/data-capture/{ENDPOINT}/{ENDPOINT}/AllTraffic"
    assert (tmp_path / "drift" / "constraint_violations.json").is_file()


def test_a_window_without_capture_exits_2(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    code = monitor(environments, flags, HOUR, HOUR + timedelta(hours=1), tmp_path / "none")
    assert code == 2
    assert "no captured requests between 2026-12-05T09:00:00Z" in capsys.readouterr().err


def test_a_report_folder_that_cannot_be_written_exits_2(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    put_capture(aws, 10, shift=0.0)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = monitor(environments, flags, HOUR, HOUR + timedelta(hours=1), blocker / "report")
    assert code == 2
    assert f"cannot write the report to {blocker / 'report'}" in capsys.readouterr().err
