"""The `monitor` entry point in the built image (issue 19), run as a Model Monitor
bring-your-own-container job: as root, root-owned mounts at the contract's paths, SageMaker's
environment variables. Its baseline is the one `evaluate` writes in the image, its data a
captured window of raw rows; the job writes the contract's outputs and CloudWatch metric file."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from image_runtime_support import ImageRunner, place_file, sagemaker_dir
from ml_containers.bundle import pack_model_dir
from ml_containers.serve.capture import capture_record

pytestmark = [pytest.mark.xdist_group("container-image"), pytest.mark.slow]
WHEN = datetime(2026, 12, 5, 10, 15, tzinfo=UTC)


def baseline(built_image: ImageRunner, preprocessed, trained, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    """`evaluate` in the image: its statistics.json and constraints.json."""
    outputs, _ = preprocessed
    opt_ml, _ = trained
    model_in = sagemaker_dir(folder / "model")
    pack_model_dir(opt_ml / "model", model_in / "model.tar.gz")
    evaluation = sagemaker_dir(folder / "evaluation")
    mounts = {
        model_in: "/opt/ml/processing/input/model",
        outputs / "test": "/opt/ml/processing/input/test",
        outputs / "train": "/opt/ml/processing/input/train",
        evaluation: "/opt/ml/processing/evaluation",
        sagemaker_dir(folder / "evaluate-output"): "/opt/ml/output",
    }
    run = built_image.run(["evaluate"], mounts=mounts).check()
    assert "wrote the train split's drift baseline" in run.stdout
    return evaluation


def captured_window(demo_csv: Path, folder: Path) -> Path:
    """200 raw rows of the demo data as SageMaker's capture of one hour."""
    with open(demo_csv / "breast_cancer.csv", newline="") as handle:
        rows = [row[:-1] for row in list(csv.reader(handle))[1:201]]  # no header, no target
    probabilities = {"benign": 0.9, "malignant": 0.1}
    answer = json.dumps({"predictions": [{"label": "benign", "probabilities": probabilities}]})
    lines = [
        json.dumps(
            capture_record(
                "text/csv", ",".join(r).encode(), "application/json", answer.encode(), WHEN
            )
        )
        for r in rows
    ]
    endpoint = sagemaker_dir(folder / "endpoint")
    hour = endpoint / "ep/AllTraffic/2026/12/05/10"
    hour.mkdir(parents=True)
    (hour / "15-00-000-x.jsonl").write_text("\n".join(lines) + "\n")
    return endpoint


def test_monitor_runs_as_a_byoc_job_in_the_image(  # type: ignore[no-untyped-def]
    built_image: ImageRunner, preprocessed, trained, demo_csv: Path, tmp_path: Path
) -> None:
    evaluation = baseline(built_image, preprocessed, trained, tmp_path)
    base = sagemaker_dir(tmp_path / "baseline")
    for name in ("statistics.json", "constraints.json"):
        place_file(evaluation / name, base, name)
    results = sagemaker_dir(tmp_path / "resultdata")
    output = sagemaker_dir(tmp_path / "output")
    mounts = {
        captured_window(demo_csv, tmp_path): "/opt/ml/processing/input/endpoint",
        base: "/opt/ml/processing/baseline",
        results: "/opt/ml/processing/resultdata",
        output: "/opt/ml/output",
    }
    env = {
        "dataset_format": json.dumps(
            {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
        ),
        "dataset_source": "/opt/ml/processing/input/endpoint",
        "output_path": "/opt/ml/processing/resultdata",
        "baseline_statistics": "/opt/ml/processing/baseline/statistics.json",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints.json",
        "start_time": "2026-12-05T10:00:00Z",
        "end_time": "2026-12-05T11:00:00Z",
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_endpoint_name": "ep",
        "sagemaker_monitoring_schedule_name": "ep-drift",
    }
    run = built_image.run(["monitor"], mounts=mounts, env=env).check()
    assert "monitor: " in run.stdout
    report = json.loads((results / "drift_report.json").read_text())
    assert report["rows"] == 200 and report["undecodable_records"] == 0
    assert len(report["features"]) == 30
    violations = json.loads((results / "constraint_violations.json").read_text())
    assert isinstance(violations["violations"], list)
    assert (results / "drift_report.html").read_text().startswith("<!doctype html>")
    metrics = (output / "metrics/cloudwatch/drift_metrics.jsonl").read_text().splitlines()
    names = {json.loads(line)["MetricName"] for line in metrics}
    assert {"drift_detected", "rows_analyzed", "feature_baseline_drift_mean radius"} <= names
