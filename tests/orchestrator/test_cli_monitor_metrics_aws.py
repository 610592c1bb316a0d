"""`orchestrator monitor run --env dev` publishes its metrics (issue 19) against moto: PutMetricData
into the project's namespace MLOps/ModelMonitor with the endpoint (and each feature) as
dimensions, nothing into Model Monitor's alarmed namespace; `--no-metrics` publishes nothing; a
refused PutMetricData exits 1 naming the permission, with the report kept. The sink's batches
are checked against botocore's PutMetricData shape and its documented limits."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    stack,
)
from test_cli_monitor_aws import (
    DRIFT_WINDOW,
    ENDPOINT,
    HOUR,
    monitor,
    put_capture,
    register_with_baseline,
)

from orchestrator.backends.aws import metrics as aws_metrics
from orchestrator.backends.aws.metrics import MAX_DATA_PER_CALL, CloudWatchMetricSink
from orchestrator.backends.metrics import Datapoint
from orchestrator.flows.monitor_metrics import NAMESPACE

MODEL_MONITOR_NAMESPACE = "/aws/sagemaker/Endpoints/data-metrics"


def _value(aws: dict[str, Any], name: str, dimensions: list[dict[str, str]]) -> float:
    now = datetime.now(UTC)
    answer = aws["cloudwatch"].get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=dimensions,
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=60,
        Statistics=["Maximum"],
    )
    [point] = answer["Datapoints"]
    return float(point["Maximum"])


def test_monitor_run_puts_its_metrics_into_the_projects_namespace(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    put_capture(aws, 70, shift=15.0)  # spend shifted: drift on exactly spend
    code = monitor(environments, flags, *DRIFT_WINDOW, tmp_path / "drift")
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["drifted_features"] == ["spend"]
    assert report["metrics"] == {
        "published": True,
        "destination": "cloudwatch",
        "namespace": NAMESPACE,
        "datapoints": 5,  # drift_detected, drifted_features, rows_analyzed, 2 features' PSI
        "calls": 1,
    }
    stored = json.loads((tmp_path / "drift" / "drift_report.json").read_text())
    assert stored["metrics"] == report["metrics"]  # the file is what --output json printed

    listed = aws["cloudwatch"].list_metrics(Namespace=NAMESPACE)["Metrics"]
    seen = {
        (m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in listed
    }
    endpoint = (("EndpointName", ENDPOINT),)
    assert seen == {
        ("drift_detected", endpoint),
        ("drifted_features", endpoint),
        ("rows_analyzed", endpoint),
        ("feature_psi", (*endpoint, ("Feature", "spend"))),
        ("feature_psi", (*endpoint, ("Feature", "plan"))),
    }
    run = [{"Name": "EndpointName", "Value": ENDPOINT}]
    assert _value(aws, "drift_detected", run) == 1.0
    assert _value(aws, "drifted_features", run) == 1.0
    assert _value(aws, "rows_analyzed", run) == 300.0
    psi = {f["name"]: f["psi"] for f in report["features"]}
    for feature in ("spend", "plan"):
        dimensions = [*run, {"Name": "Feature", "Value": feature}]
        assert _value(aws, "feature_psi", dimensions) == pytest.approx(psi[feature])
    # Never Model Monitor's namespace, whose <endpoint>-drift alarm pages people.
    assert aws["cloudwatch"].list_metrics(Namespace=MODEL_MONITOR_NAMESPACE)["Metrics"] == []
    assert not (tmp_path / "drift" / "drift_metrics.emf.jsonl").exists()  # that is local's way


def test_no_metrics_publishes_nothing(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    put_capture(aws, 70, shift=15.0)
    since, until = DRIFT_WINDOW
    code = cli(environments, "monitor", "run", "--stack-outputs", flags[1], "--since",
               f"{since:%Y-%m-%dT%H:%M:%SZ}", "--until", f"{until:%Y-%m-%dT%H:%M:%SZ}",
               "--report", str(tmp_path / "r"), "--output", "json", "--no-metrics")  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["metrics"] == {"published": False, "reason": "--no-metrics"}
    assert aws["cloudwatch"].list_metrics(Namespace=NAMESPACE)["Metrics"] == []


class _Denying:
    """A CloudWatch client whose PutMetricData is refused as IAM refuses it."""

    def put_metric_data(self, **_: Any) -> None:
        error = {
            "Code": "AccessDenied",
            "Message": "User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to "
            "perform: cloudwatch:PutMetricData because no identity-based policy allows it",
        }
        raise ClientError({"Error": error}, "PutMetricData")


def test_a_refused_put_metric_data_exits_1_naming_the_permission_and_keeps_the_report(
    stack: Stack,  # noqa: F811  (the imported fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aws, environments, flags = stack
    register_with_baseline(aws)
    put_capture(aws, 10, shift=0.0)  # a quiet window: exit 0 but for the refusal
    monkeypatch.setattr(
        aws_metrics.CloudWatchMetricSink,
        "__init__",
        lambda self, cloudwatch: setattr(self, "cloudwatch", _Denying()),
    )
    folder = tmp_path / "quiet"
    code = monitor(environments, flags, HOUR, HOUR + timedelta(minutes=30), folder)
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert "Traceback" not in captured.err
    assert "cloudwatch:PutMetricData with cloudwatch:namespace MLOps/ModelMonitor" in captured.err
    assert "access denied" in captured.err and "--no-metrics" in captured.err
    assert f"the drift report is in {folder}" in captured.err
    kept = json.loads((folder / "drift_report.json").read_text())
    assert kept["status"] == "ok" and kept["metrics"]["published"] is False
    assert (folder / "drift_report.html").is_file()


def _points(count: int) -> list[Datapoint]:
    when = datetime(2026, 12, 5, 12, tzinfo=UTC)
    endpoint = ("EndpointName", "e")
    return [
        Datapoint("feature_psi", i / 10, "None", (endpoint, ("Feature", f"f{i}")), when)
        for i in range(count)
    ]


def test_the_sink_batches_within_put_metric_datas_limits() -> None:
    model = botocore.session.get_session().get_service_model("cloudwatch")
    operation = model.operation_model("PutMetricData")
    shape = operation.input_shape
    # The limits the sink cites, read back from botocore's model.
    assert "no more than 1000 different metrics" in operation.documentation
    assert MAX_DATA_PER_CALL == 1000
    datum = shape.members["MetricData"].member
    assert datum.members["Dimensions"].metadata["max"] == aws_metrics.MAX_DIMENSIONS
    value = model.shape_for("Dimension").members["Value"].metadata["max"]
    assert value == aws_metrics.MAX_DIMENSION_VALUE

    calls: list[dict[str, Any]] = []

    class Recording:
        def put_metric_data(self, **request: Any) -> None:
            report = ParamValidator().validate(request, shape)
            assert not report.has_errors(), report.generate_report()
            calls.append(request)

    points = _points(2500)
    long_name = Datapoint("x", 1.0, "Count", (("Feature", "f" * 2000),), points[0].timestamp)
    done = CloudWatchMetricSink(Recording()).publish(NAMESPACE, [*points, long_name], Path("."))
    assert [len(call["MetricData"]) for call in calls] == [1000, 1000, 501]
    assert done["calls"] == 3 and done["datapoints"] == 2501
    assert {call["Namespace"] for call in calls} == {NAMESPACE}
    assert len(calls[-1]["MetricData"][-1]["Dimensions"][0]["Value"]) == 1024
    assert all(len(json.dumps(c["MetricData"], default=str)) < 1_000_000 for c in calls)


def test_both_sinks_carry_the_same_datapoints(tmp_path: Path) -> None:
    """What the local EMF file holds is what the AWS sink sends: name, dimensions, value."""
    from orchestrator.backends.metrics import EmfFileSink

    points = _points(3)
    sent: list[dict[str, Any]] = []

    class Recording:
        def put_metric_data(self, **request: Any) -> None:
            sent.extend(request["MetricData"])

    CloudWatchMetricSink(Recording()).publish(NAMESPACE, points, tmp_path)
    EmfFileSink().publish(NAMESPACE, points, tmp_path)
    from_aws = {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"]), d["Value"])
        for d in sent
    }
    from_file = set()
    for text in (tmp_path / "drift_metrics.emf.jsonl").read_text().splitlines():
        line = json.loads(text)
        [directive] = line["_aws"]["CloudWatchMetrics"]
        [names] = directive["Dimensions"]
        dimensions = tuple((name, line[name]) for name in names)
        for metric in directive["Metrics"]:
            from_file.add((metric["Name"], dimensions, line[metric["Name"]]))
    assert from_aws == from_file and len(from_aws) == 3
