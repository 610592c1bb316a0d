"""The drift baseline Evaluate writes (issue 19): Model Monitor's statistics.json and
constraints.json of the training rows in raw units (recovered through the fitted transform) and
of the model's predictions on them; and the ``monitor`` entry point's BYOC contract: inputs from
SageMaker's variables, violations, reports and CloudWatch metric files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ml_containers.evaluate.baseline import (
    baseline_rows,
    prediction_columns,
    raw_columns,
    write_baseline,
)
from ml_containers.monitor.statistics import category_counts, sketch_values
from ml_containers.serve.capture import capture_record
from ml_containers.train.failure import JobFailure
from ml_containers.train.labeled_csv import LabeledData

from tests.containers.serve_helpers import build_bundle

MONITOR = str(Path(sys.executable).with_name("monitor"))


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A multiclass bundle with a categorical feature, and its transformed training rows."""
    built = build_bundle(tmp_path_factory.mktemp("wine") / "model", kind="multiclass")
    transform, schema = built.bundle.transform, built.schema
    columns = {
        c.name: [row[i] for row in built.raw_rows]
        if c.type.value == "categorical"
        else np.array([row[i] for row in built.raw_rows], dtype=float)
        for i, c in enumerate(schema.features)
    }
    return built, transform.apply_columns(columns, len(built.raw_rows))


def test_raw_values_are_recovered_through_the_transform(wine) -> None:  # type: ignore[no-untyped-def]
    built, features = wine
    columns = raw_columns(built.bundle, features)
    assert [c.name for c in columns] == built.feature_names
    raw = np.array([row[:-1] for row in built.raw_rows], dtype=float)
    recovered = np.column_stack([c.values for c in columns[:-1]])
    np.testing.assert_allclose(recovered, raw, rtol=1e-5, atol=1e-4)
    assert columns[-1].kind == "String"
    assert columns[-1].values == [row[-1] for row in built.raw_rows]


def test_statistics_and_constraints_are_model_monitors_format(wine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    built, features = wine
    assert write_baseline(built.bundle, features, "train", tmp_path) == [
        "statistics.json",
        "constraints.json",
    ]
    statistics = json.loads((tmp_path / "statistics.json").read_text())
    assert statistics["version"] == 0
    assert statistics["dataset"] == {"item_count": 178, "source": "train"}
    by_name = {f["name"]: f for f in statistics["features"]}
    assert list(by_name)[-2:] == ["region", "_prediction"]  # multiclass: no _score
    alcohol = by_name["alcohol"]
    assert alcohol["inferred_type"] == "Fractional"
    numbers = alcohol["numerical_statistics"]
    assert numbers["common"] == {"num_present": 178, "num_missing": 0}
    assert numbers["min"] == pytest.approx(11.03, abs=1e-4)
    assert set(numbers) >= {"mean", "sum", "std_dev", "min", "max", "distribution"}
    kll = numbers["distribution"]["kll"]
    assert sum(b["count"] for b in kll["buckets"]) == 178 and len(kll["buckets"]) == 10
    assert sketch_values(alcohol).size == 178  # small: every value, sorted
    assert sum(category_counts(by_name["region"]).values()) == 178
    assert set(category_counts(by_name["_prediction"])) <= {"class_0", "class_1", "class_2"}
    constraints = json.loads((tmp_path / "constraints.json").read_text())
    region = next(f for f in constraints["features"] if f["name"] == "region")
    assert region["string_constraints"]["domains"] == ["east", "north", "south"]
    assert region["completeness"] == 1.0
    assert constraints["monitoring_config"]["evaluate_constraints"] == "Enabled"
    flags = next(f for f in constraints["features"] if f["name"] == "alcohol")["num_constraints"]
    assert flags == {"is_non_negative": True}


def test_binary_and_regression_predictions(tmp_path: Path) -> None:
    binary = build_bundle(tmp_path / "binary", kind="binary")
    features = binary.bundle.transform.apply_numeric_matrix(np.array(binary.raw_rows, dtype=float))
    names = [(c.name, c.kind) for c in prediction_columns(binary.bundle, features)]
    assert names == [("_prediction", "String"), ("_score", "Fractional")]
    regression = build_bundle(tmp_path / "regression", kind="regression")
    features = regression.bundle.transform.apply_numeric_matrix(
        np.array(regression.raw_rows, dtype=float)
    )
    [column] = prediction_columns(regression.bundle, features)
    assert (column.name, column.kind) == ("_prediction", "Fractional")


def test_without_a_train_input_the_test_split_stands_in(wine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    built, features = wine
    test = LabeledData(features=features[:20], labels=np.zeros(20))
    rows, source = baseline_rows(tmp_path / "absent", test, built.bundle)
    assert source == "test" and rows.shape[0] == 20


def _write_rows(path: Path, features: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = np.zeros((features.shape[0], 1))
    if features.shape[0]:
        np.savetxt(path, np.hstack([labels, features]), delimiter=",", fmt="%.9g")
    else:
        path.write_bytes(b"")  # a host whose part holds no rows


def test_the_train_split_of_several_preprocessing_hosts_is_read_whole_in_order(  # type: ignore[no-untyped-def]
    wine, tmp_path: Path
) -> None:
    built, features = wine
    features = features.astype(np.float32)
    test = LabeledData(features=features[:3], labels=np.zeros(3))
    # two training hosts x two preprocessing hosts: train-part-KKKKK-HHHHH.csv; preprocessing
    # host 0's part for training host 1 is empty
    cut = features.shape[0] // 3
    blocks = {
        "train-part-00000-00000.csv": features[:cut],
        "train-part-00000-00001.csv": features[cut : 2 * cut],
        "train-part-00001-00000.csv": features[:0],
        "train-part-00001-00001.csv": features[2 * cut :],
    }
    for name in reversed(blocks):  # written out of order: the reader sorts by name
        _write_rows(tmp_path / "train" / name, blocks[name])
    rows, source = baseline_rows(tmp_path / "train", test, built.bundle)
    assert source == "train"
    np.testing.assert_array_equal(rows, features)


def test_a_train_input_in_both_forms_or_neither_fails_naming_it(wine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    built, features = wine
    test = LabeledData(features=features[:3], labels=np.zeros(3))
    _write_rows(tmp_path / "both" / "train.csv", features)
    _write_rows(tmp_path / "both" / "train-part-00000-00000.csv", features)
    with pytest.raises(JobFailure, match=r"both holds both train\.csv and 1 train-part-"):
        baseline_rows(tmp_path / "both", test, built.bundle)
    _write_rows(tmp_path / "other" / "rows.csv", features)
    with pytest.raises(JobFailure, match=r"holds no train.csv .*\(found: rows.csv\)"):
        baseline_rows(tmp_path / "other", test, built.bundle)


# -- the monitor entry point (Model Monitor's bring-your-own-container contract) ---------------
@pytest.fixture
def job(wine, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A processing job's layout: a baseline, a capture folder, and the contract's variables."""
    built, features = wine
    write_baseline(built.bundle, features, "train", tmp_path / "baseline")
    return {
        "OPT_ML_ROOT": str(tmp_path / "opt_ml"),
        "dataset_source": str(tmp_path / "endpoint"),
        "output_path": "/opt/ml/processing/resultdata",
        "baseline_statistics": str(tmp_path / "baseline" / "statistics.json"),
        "baseline_constraints": str(tmp_path / "baseline" / "constraints.json"),
        "start_time": "2026-12-05T10:00:00Z",
        "end_time": "2026-12-05T11:00:00Z",
        "sagemaker_endpoint_name": "my-endpoint",
        "sagemaker_monitoring_schedule_name": "hourly",
        "MONITOR_MIN_ROWS": "50",
        "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}',
    }


def capture(job: dict[str, str], rows: list[list[object]], minute: int = 30) -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 12, 5, 10, minute, tzinfo=UTC)
    folder = Path(job["dataset_source"]) / "my-endpoint/AllTraffic/2026/12/05/10"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for row in rows:
        body = ",".join(str(v) for v in row).encode()
        answer = b'{"predictions": [{"label": "class_0", "probabilities": {"class_0": 1.0}}]}'
        lines.append(json.dumps(capture_record("text/csv", body, "application/json", answer, when)))
    (folder / f"{minute:02d}-00-000-x.jsonl").write_text("\n".join(lines) + "\n")


def run_monitor(job: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), **job}
    return subprocess.run([MONITOR], env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip


def test_the_job_writes_violations_reports_and_metrics(wine, job) -> None:  # type: ignore[no-untyped-def]
    built, _ = wine
    shifted = [[*row[:1], row[1] * 3 + 2, *row[2:]] for row in built.raw_rows]  # malic_acid
    capture(job, shifted)
    capture(job, built.raw_rows[:5], minute=59)
    job["publish_cloudwatch_metrics"] = "Enabled"
    done = run_monitor(job)
    assert done.returncode == 0, done.stderr
    results = Path(job["OPT_ML_ROOT"]) / "processing" / "resultdata"
    violations = json.loads((results / "constraint_violations.json").read_text())["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} >= {
        ("malic_acid", "baseline_drift_check")
    }
    report = json.loads((results / "drift_report.json").read_text())
    assert report["rows"] == 183 and "malic_acid" in report["drifted_features"]
    assert json.loads((results / "statistics.json").read_text())["dataset"]["item_count"] == 183
    assert "<svg" in (results / "drift_report.html").read_text()
    metrics_file = Path(job["OPT_ML_ROOT"]) / "output/metrics/cloudwatch/drift_metrics.jsonl"
    metrics = {m["MetricName"]: m for m in map(json.loads, metrics_file.read_text().splitlines())}
    assert metrics["drift_detected"]["Value"] == 1.0
    assert metrics["feature_baseline_drift_malic_acid"]["Value"] > 0.2
    assert metrics["drift_detected"]["Dimensions"] == [
        {"Name": "Endpoint", "Value": "my-endpoint"},
        {"Name": "MonitoringSchedule", "Value": "hourly"},
    ]
    assert metrics["drift_detected"]["Timestamp"] == "2026-12-05T11:00:00Z"


def test_records_outside_the_window_are_ignored_and_no_data_is_not_a_failure(job) -> None:  # type: ignore[no-untyped-def]
    job["start_time"], job["end_time"] = "2026-12-05T10:40:00Z", "2026-12-05T10:50:00Z"
    capture(job, [[1] * 14] * 10)
    done = run_monitor(job)
    assert done.returncode == 0, done.stderr
    assert "monitor: no_data: 0 rows" in done.stdout
    metrics = Path(job["OPT_ML_ROOT"]) / "output/metrics/cloudwatch"
    assert not metrics.exists()  # publish_cloudwatch_metrics is Disabled by default


@pytest.mark.parametrize(
    ("variable", "value", "code", "expected"),
    [
        ("start_time", "yesterday", 2, "start_time must be an ISO 8601 time"),
        ("dataset_format", '{"csv": {"header": "true"}}', 2, "is not supported"),
        ("MONITOR_KS_ALPHA", "1.5", 2, "MONITOR_KS_ALPHA is out of range"),
        ("MONITOR_MIN_ROWS", "many", 2, "MONITOR_MIN_ROWS must be a whole number"),
        ("baseline_statistics", "/nowhere/statistics.json", 1, "cannot read baseline_statistics"),
    ],
)
def test_bad_inputs_exit_with_the_contracts_codes(  # type: ignore[no-untyped-def]
    job, variable, value, code, expected, monkeypatch, capsys
) -> None:
    from ml_containers.monitor.cli import main

    job[variable] = value
    for name, text in job.items():  # in this process: the same main() the entry point runs
        monkeypatch.setenv(name, text)
    assert main([]) == code
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    if code == 1:
        message = Path(job["OPT_ML_ROOT"]) / "output" / "message"
        assert expected in message.read_text()
