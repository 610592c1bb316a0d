"""Step caching across upserts, against moto's model of SageMaker's cache (issue #24;
``tests/aws/moto_extensions/step_cache.py`` cites the documented cache key): an upsert that
changes nothing sends no UpdatePipeline and the next execution reuses every cacheable step; an
upsert that changes only what the cached steps do not read is sent, and they stay cached; new
data under the same prefix reruns Preprocess and what reads its outputs."""

# ruff: noqa: F811  (pytest fixtures imported from test_cli_aws are parameters here)
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from moto_extensions.state import backend
from moto_extensions.step_cache import stamp
from test_cli_aws import (  # noqa: F401  (fixtures)
    DATA_BUCKET,
    DATA_URI,
    FAST,
    PREFIX,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
)

CACHEABLE = ("Preprocess", "Tune", "Evaluate")


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every AWS operation the orchestrator sends, in order (the real call still happens)."""
    import botocore.client

    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: Any) -> Any:
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    yield calls


def _upsert(envdir: Path, outputs: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert (
        cli(envdir, "pipeline", "upsert", "--stack-outputs", str(outputs), "--output", "json") == 0
    )
    return str(json.loads(capsys.readouterr().out)["action"])


def _execute(envdir: Path, outputs: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Start an execution, wait for it; its steps by name."""
    flags = ["--stack-outputs", str(outputs), "--output", "json"]
    assert cli(envdir, "pipeline", "start", *flags) == 0
    arn = json.loads(capsys.readouterr().out)["execution"]
    assert cli(envdir, "pipeline", "wait", *flags, *FAST, "--execution", arn) == 0
    execution = json.loads(capsys.readouterr().out)
    return {"arn": arn, "steps": {s["name"]: s for s in execution["steps"]}}


def _cached(execution: dict[str, Any]) -> list[str]:
    return [name for name, s in execution["steps"].items() if s["cached"]]


def test_an_unchanged_upsert_sends_nothing_and_every_cacheable_step_stays_cached(
    moto: dict[str, Any],
    envdir: Path,
    outputs_file: Path,
    sent: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _upsert(envdir, outputs_file, capsys) == "created"
    first = _execute(envdir, outputs_file, capsys)
    assert _cached(first) == []  # nothing to reuse yet
    sent.clear()
    assert _upsert(envdir, outputs_file, capsys) == "unchanged"
    assert "UpdatePipeline" not in sent and "CreatePipeline" not in sent
    second = _execute(envdir, outputs_file, capsys)
    assert _cached(second) == list(CACHEABLE)
    listed = moto["sagemaker"].list_pipeline_execution_steps(PipelineExecutionArn=second["arn"])
    sources = {
        s["StepName"]: s["CacheHitResult"]["SourcePipelineExecutionArn"]
        for s in listed["PipelineExecutionSteps"]
        if "CacheHitResult" in s
    }
    assert sources == dict.fromkeys(CACHEABLE, first["arn"])
    # ... and the orchestrator reports it: `executions describe` names the source execution.
    assert _reported_sources(envdir, outputs_file, second["arn"], capsys) == {
        **dict.fromkeys(CACHEABLE, first["arn"]),
        "QualityGate": "",  # a condition step is never cached
    }


def _reported_sources(
    envdir: Path, outputs: Path, arn: str, capsys: pytest.CaptureFixture[str]
) -> dict[str, str]:
    """Step -> the ``cached from`` column of ``executions describe`` (the table view)."""
    from orchestrator.backends.select import StackSource, open_backend
    from orchestrator.settings.environment import load_environment

    assert cli(envdir, "executions", "describe", arn, "--stack-outputs", str(outputs)) == 0
    table = capsys.readouterr().out
    config = load_environment("dev", envdir)
    # The backend's ExecutionSummary, which the table prints.
    with open_backend(config, StackSource(outputs_file=outputs)) as opened:
        summary = opened.pipelines.describe(arn)
    reported = {s.name: s.cache_source or "" for s in summary.steps}
    for name, source in reported.items():
        row = next(line for line in table.splitlines() if line.startswith(f"{name} "))
        assert (source in row) if source else ("arn:" not in row), row
    return reported


def test_an_upsert_that_changes_only_registration_keeps_the_earlier_steps_cached(
    moto: dict[str, Any],
    envdir: Path,
    outputs_file: Path,
    sent: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _upsert(envdir, outputs_file, capsys)
    _execute(envdir, outputs_file, capsys)
    environment = envdir / "dev.yaml"
    data = yaml.safe_load(environment.read_text())
    data["pipeline"]["approval"] = "manual"  # only the Register step reads the approval status
    environment.write_text(yaml.safe_dump(data, sort_keys=False))
    sent.clear()
    assert _upsert(envdir, outputs_file, capsys) == "updated"
    assert sent.count("UpdatePipeline") == 1
    assert _cached(_execute(envdir, outputs_file, capsys)) == list(CACHEABLE)


def test_new_data_under_the_same_prefix_reruns_preprocess_and_every_step_reading_its_outputs(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _upsert(envdir, outputs_file, capsys)
    _execute(envdir, outputs_file, capsys)
    key = f"{DATA_URI.split('/', 3)[3]}more-rows.csv"
    moto["s3"].put_object(Bucket=DATA_BUCKET, Key=key, Body=b"y\n")
    assert _cached(_execute(envdir, outputs_file, capsys)) == []
    # The same data again: reused from the run that read it.
    assert _cached(_execute(envdir, outputs_file, capsys)) == list(CACHEABLE)


def test_a_run_older_than_expire_after_is_not_reused(
    moto: dict[str, Any], envdir: Path, outputs_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _upsert(envdir, outputs_file, capsys)
    first = _execute(envdir, outputs_file, capsys)
    pipeline = backend().pipelines[f"{PREFIX}-training"]
    execution = pipeline.pipeline_executions[first["arn"]]
    stamp(execution.creation_time - timedelta(days=31), execution)  # dev caches for P30D
    assert _cached(_execute(envdir, outputs_file, capsys)) == []
