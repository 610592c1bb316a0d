"""`orchestrator monitor run` and what it stands on (issue 19), without a served model: the
pipeline's baseline wiring (validated against botocore's CreateModelPackage like the rest of
the definition), the local registry keeping the baseline, the `monitoring:` settings, the
window's parsing, and every bad input refused with exit 2 and one line naming the fix."""

from __future__ import annotations

import copy
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.registration import run_register_model
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.cli.app import main
from orchestrator.errors import UserError
from orchestrator.flows.monitor import parse_window
from orchestrator.pipeline import DefinitionError, build_definition, names, validate_definition
from orchestrator.settings.capture import capture_prefix, hour_prefixes
from orchestrator.settings.monitoring import MonitoringSettings, monitor_environment
from orchestrator.settings.stack_outputs import StackOutputs
from tests.orchestrator.test_pipeline_definition import aws_outputs, make_config

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
EVALUATION = "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"


def test_register_attaches_the_baseline_and_evaluate_reads_the_train_split() -> None:
    definition = build_definition(make_config(), aws_outputs())
    arguments = definition.step(names.REGISTER)["Arguments"]
    for section in (
        arguments["DriftCheckBaselines"]["ModelDataQuality"],
        arguments["ModelMetrics"]["ModelDataQuality"],
    ):
        for part, file in (("Statistics", "statistics.json"), ("Constraints", "constraints.json")):
            assert section[part]["ContentType"] == "application/json"
            assert section[part]["S3Uri"]["Std:Join"]["Values"] == [{"Get": EVALUATION}, file]
    inputs = definition.step(names.EVALUATE)["Arguments"]["ProcessingInputs"]
    train = next(i for i in inputs if i["InputName"] == "train")
    assert train["S3Input"]["LocalPath"] == "/opt/ml/processing/input/train"
    assert train["S3Input"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }


def test_a_baseline_botocore_would_refuse_is_refused() -> None:
    document = copy.deepcopy(build_definition(make_config(), aws_outputs()).document)
    steps = [s for step in document["Steps"] for s in step["Arguments"].get("IfSteps", [])]
    register = next(s for s in steps if s["Name"] == names.REGISTER)
    del register["Arguments"]["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    with pytest.raises(DefinitionError, match="S3Uri"):
        validate_definition(document)


def test_the_local_registry_keeps_the_baseline_uris(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    model = store.path("s3://bucket/model.tar.gz")
    model.parent.mkdir(parents=True)
    model.write_bytes(b"model")
    registry = LocalModelRegistry(tmp_path / "registry.sqlite")
    registry.ensure_group("g")
    baseline = {
        "Statistics": {"ContentType": "application/json", "S3Uri": "s3://bucket/e/statistics.json"},
        "Constraints": {"ContentType": "application/json", "S3Uri": "s3://bucket/e/constraints.json"},
    }  # fmt: skip
    arguments = {
        "ModelPackageGroupName": "g",
        "InferenceSpecification": {"Containers": [{"Image": "i", "ModelDataUrl": "s3://bucket/model.tar.gz"}]},
        "ModelApprovalStatus": "Approved",
        "DriftCheckBaselines": {"ModelDataQuality": baseline},
    }  # fmt: skip
    run_register_model("Register", arguments, store=store, registry=registry)
    [package] = registry.list_versions("g")
    assert package.metadata[names.BASELINE_STATISTICS_KEY] == "s3://bucket/e/statistics.json"
    assert package.metadata[names.BASELINE_CONSTRAINTS_KEY] == "s3://bucket/e/constraints.json"


def test_the_capture_prefix_is_the_one_the_aws_endpoint_config_names() -> None:
    from orchestrator.backends.aws.endpoint_requests import data_capture_config
    from orchestrator.settings.endpoint import EndpointSettings

    outputs = aws_outputs()
    config = data_capture_config(outputs, EndpointSettings(data_capture_percent=20))
    assert config["DestinationS3Uri"] == capture_prefix(outputs)
    assert config["InitialSamplingPercentage"] == 20
    start = datetime(2026, 12, 5, 22, 30, tzinfo=UTC)
    hours = hour_prefixes(outputs, "AllTraffic", start, datetime(2026, 12, 6, 0, 5, tzinfo=UTC))
    base = f"{capture_prefix(outputs)}/churn-dev-endpoint/AllTraffic"
    assert hours == [f"{base}/2026/12/05/22/", f"{base}/2026/12/05/23/", f"{base}/2026/12/06/00/"]
    local = StackOutputs.local()
    assert (
        capture_prefix(local)
        == "s3://local-mlops-local-artifacts/data-capture/mlops-local-endpoint"
    )


def test_monitoring_settings_defaults_and_the_containers_variables() -> None:
    settings = MonitoringSettings()
    assert (settings.psi_threshold, settings.ks_alpha, settings.min_rows) == (0.2, 0.01, 100)
    assert monitor_environment(MonitoringSettings(psi_threshold=0.25, min_rows=500)) == {
        "MONITOR_PSI_THRESHOLD": "0.25",
        "MONITOR_KS_ALPHA": "0.01",
        "MONITOR_CHI2_ALPHA": "0.01",
        "MONITOR_MIN_ROWS": "500",
        "MONITOR_BINS": "10",
        "MONITOR_COMPLETENESS_DROP": "0.1",
    }
    from ml_containers.monitor.cli import thresholds_from

    assert thresholds_from(monitor_environment(settings)).psi == 0.2  # the container reads them


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        (None, None, "2026-12-04T12:00:00", "2026-12-05T12:00:00"),
        ("90m", None, "2026-12-05T10:30:00", "2026-12-05T12:00:00"),
        ("2w", "1d", "2026-11-21T12:00:00", "2026-12-04T12:00:00"),
        ("2026-12-05T09:00:00Z", "2026-12-05T09:30:00.5Z", "2026-12-05T09:00:00",
         "2026-12-05T09:30:00.500000"),
    ],
)  # fmt: skip
def test_the_window_takes_durations_and_times(since, until, start, end) -> None:  # type: ignore[no-untyped-def]
    got = parse_window(since, until, NOW, 24)
    assert [t.replace(tzinfo=None).isoformat() for t in got] == [start, end]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("yesterday", None, "--since 'yesterday' is neither a duration"),
        ("0h", None, "--since '0h' is a zero duration"),
        ("1h", "2h", "the window is empty"),
        ("100d", None, "longer than 90 days"),
    ],
)
def test_a_bad_window_is_named(since: str, until: str | None, expected: str) -> None:
    with pytest.raises(UserError, match=expected):
        parse_window(since, until, NOW, 24)


# -- the command's refusals: exit 2, one line, the fix -----------------------------------------
@pytest.fixture
def environments(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nlocal:\n  state_dir: {tmp_path / 'state'}\n"
    )
    shutil.copy(ROOT / "environments" / "dev.yaml", folder / "dev.yaml")
    return folder


def refused(capsys: pytest.CaptureFixture[str], environments: Path, *argv: str) -> str:
    try:
        code = main(["monitor", "run", "--environments-dir", str(environments), *argv])
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--env", "nowhere"], "nowhere"),
        (["--since", "last tuesday"], "--since 'last tuesday' is neither a duration"),
        (["--set", "monitoring.ks_alpha=2"], "ks_alpha"),
        (["--set", "monitoring.window=3"], "monitoring.window"),
        ([], "has no Approved version; run 'orchestrator run'"),
    ],
)
def test_bad_inputs_exit_2_naming_the_fix(
    capsys: pytest.CaptureFixture[str], environments: Path, argv: list[str], expected: str
) -> None:
    assert expected in refused(capsys, environments, *argv)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "monitoring.schedule.instance_type=ml.m5.huge",
            "monitoring.schedule.instance_type: 'ml.m5.huge' is not a SageMaker processing "
            "instance type; did you mean ml.m5.large",
        ),
        ("monitoring.schedule.instance_type=ml.c5.large", "not a SageMaker processing instance"),
        ("monitoring.schedule.instance_count=2", "1 is the only value; remove the key or set 1"),
        ("monitoring.schedule.volume_size_gb=0", "monitoring.schedule.volume_size_gb"),
    ],
)
def test_a_drift_schedule_instance_botocore_would_refuse_exits_2(
    capsys: pytest.CaptureFixture[str], environments: Path, setting: str, expected: str
) -> None:
    """monitoring.schedule is checked against MonitoringClusterConfig's shapes (the
    ProcessingInstanceType enum, 1-16384 GB) before any AWS call; the command names the key."""
    assert expected in refused(capsys, environments, "--env", "dev", "--set", setting)


def test_the_drift_schedule_defaults_are_the_previous_constants() -> None:
    schedule = MonitoringSettings().schedule
    assert (schedule.instance_type, schedule.instance_count, schedule.volume_size_gb) == (
        "ml.m5.large",
        1,
        20,
    )


def test_a_version_without_a_baseline_is_named(
    capsys: pytest.CaptureFixture[str], environments: Path, tmp_path: Path
) -> None:
    registry = LocalModelRegistry(tmp_path / "state" / "registry.sqlite")
    registry.ensure_group("mlops-local-models-breast-cancer")
    registry.register(
        "mlops-local-models-breast-cancer",
        model_data_url="s3://b/m.tar.gz",
        image_uri="",
        approval_status="Approved",
    )
    err = refused(capsys, environments)
    assert "version 1 of mlops-local-models-breast-cancer has no drift baseline" in err
    assert "run the pipeline again" in err
