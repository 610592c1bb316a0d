"""The local runner on small definitions whose Processing steps run tiny Python programs: order
and data flow, JsonGet conditions both ways, RegisterModel, failures, Fail steps, caching,
persistence and progress events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_runner_support import MemoryRegistry, definition, get, processing_step

from orchestrator.backends.base import UnknownExecution
from orchestrator.backends.local.errors import (
    DefinitionError,
    ParameterError,
    UnknownExecutionError,
)
from orchestrator.backends.local.runner import LocalRunner

PRELUDE = "import json, os, sys, pathlib\nfrom ml_containers.paths import reroot as P\n"


def program(body: str) -> str:
    return PRELUDE + body


def out_uri(step: str, output: str) -> dict:
    return get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    raw = tmp_path / "store" / "bucket" / "raw"
    raw.mkdir(parents=True)
    (raw / "numbers.csv").write_text("1\n2\n3\n")
    return tmp_path / "store"


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def registry() -> MemoryRegistry:
    return MemoryRegistry()


@pytest.fixture
def runner(store: Path, tmp_path: Path, registry: MemoryRegistry, events: list) -> LocalRunner:
    return LocalRunner(store, tmp_path / "state", registry, progress=events.append)


SUM_STEP = processing_step(
    "Sum",
    program(
        "total = sum(int(x) for f in sorted(P('/opt/ml/processing/input/data').iterdir())"
        " for x in f.read_text().split())\n"
        "factor = int(os.environ['FACTOR'])\n"
        "assert os.environ['PYTHONUNBUFFERED'] == '1'\n"
        "print('summing', sys.argv[1:])\n"
        "(P('/opt/ml/processing/output/sum') / 'sum.json').write_text("
        "json.dumps({'total': total * factor, 'args': sys.argv[1:]}))\n"
    ),
    inputs=[("data", get("Parameters.InputData"), "/opt/ml/processing/input/data")],
    outputs=[("sum", "s3://bucket/work/sum", "/opt/ml/processing/output/sum")],
    environment={"FACTOR": get("Parameters.Factor")},
    arguments=["--flag", {"Get": "Execution.PipelineName"}],
    cache=True,
)

EVALUATE_STEP = processing_step(
    "Evaluate",
    program(
        "summed = P('/opt/ml/processing/input/sum') / 'sum.json'\n"
        "total = json.loads(summed.read_text())['total']\n"
        "auc = float(os.environ['AUC'])\n"
        "report = {'metrics': {'auc': {'value': auc}, 'total': {'value': total}}}\n"
        "(P('/opt/ml/processing/evaluation') / 'evaluation.json').write_text(json.dumps(report))\n"
        "(P('/opt/ml/processing/model') / 'model.tar.gz').write_bytes(b'model bytes')\n"
    ),
    inputs=[("sum", out_uri("Sum", "sum"), "/opt/ml/processing/input/sum")],
    outputs=[
        (
            "evaluation",
            {
                "Std:Join": {
                    "On": "/",
                    "Values": [
                        "s3://bucket/runs",
                        get("Execution.PipelineExecutionId"),
                        "evaluation",
                    ],
                }
            },
            "/opt/ml/processing/evaluation",
        ),
        ("model", "s3://bucket/models/current", "/opt/ml/processing/model"),
    ],
    environment={"AUC": get("Parameters.Auc")},
    property_files=[
        {
            "PropertyFileName": "EvaluationReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ],
)

GATE_STEP = {
    "Name": "CheckAuc",
    "Type": "Condition",
    "Arguments": {
        "Conditions": [
            {
                "Type": "GreaterThanOrEqualTo",
                "LeftValue": {
                    "Std:JsonGet": {
                        "PropertyFile": get("Steps.Evaluate.PropertyFiles.EvaluationReport"),
                        "Path": "metrics.auc.value",
                    }
                },
                "RightValue": get("Parameters.AucThreshold"),
            }
        ],
        "IfSteps": [
            {
                "Name": "Register",
                "Type": "RegisterModel",
                "Arguments": {
                    "ModelPackageGroupName": "demo-models",
                    "ModelApprovalStatus": get("Parameters.ModelApprovalStatus"),
                    "InferenceSpecification": {
                        "Containers": [
                            {
                                "Image": "local/ml:latest",
                                "ModelDataUrl": {
                                    "Std:Join": {
                                        "On": "/",
                                        "Values": [out_uri("Evaluate", "model"), "model.tar.gz"],
                                    }
                                },
                            }
                        ],
                        "SupportedContentTypes": ["text/csv"],
                        "SupportedResponseMIMETypes": ["text/csv"],
                    },
                    "ModelMetrics": {
                        "ModelQuality": {
                            "Statistics": {
                                "ContentType": "application/json",
                                "S3Uri": {
                                    "Std:Join": {
                                        "On": "/",
                                        "Values": [
                                            out_uri("Evaluate", "evaluation"),
                                            "evaluation.json",
                                        ],
                                    }
                                },
                            }
                        }
                    },
                    "CustomerMetadataProperties": {"input_data": get("Parameters.InputData")},
                    "MetadataProperties": {"CommitId": "abc123"},
                },
            }
        ],
        "ElseSteps": [
            {
                "Name": "AucTooLow",
                "Type": "Fail",
                "Arguments": {
                    "ErrorMessage": {
                        "Std:Join": {
                            "On": " ",
                            "Values": ["AUC below threshold", get("Parameters.AucThreshold")],
                        }
                    }
                },
            }
        ],
    },
}

PARAMETERS = [
    {"Name": "InputData", "Type": "String", "DefaultValue": "s3://bucket/raw/"},
    {"Name": "Factor", "Type": "String", "DefaultValue": "1"},
    {"Name": "Auc", "Type": "String", "DefaultValue": "0.9"},
    {"Name": "AucThreshold", "Type": "Float", "DefaultValue": 0.8},
    {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
]

PIPELINE = definition([GATE_STEP, EVALUATE_STEP, SUM_STEP], PARAMETERS)  # order from references


def statuses(execution) -> dict[str, str]:
    return {step.name: step.status for step in execution.steps}


def test_register_into_a_group_that_does_not_exist_fails_the_step_as_sagemaker_does(
    runner, registry
):
    # CreateModelPackage registers only into an existing group; the orchestrator creates it
    # before the pipeline runs (flows.models.ensure_dataset_group), never the step.
    execution = runner.start(json.dumps(PIPELINE), {"Auc": "0.93"}, "demo")

    assert execution.status == "Failed"
    assert execution.step("Register").status == "Failed"
    assert "no model package group 'demo-models'" in execution.step("Register").failure_reason
    assert registry.list_groups() == []


def test_if_branch_registers_the_model_with_metrics_and_metadata(runner, registry, store, events):
    registry.ensure_group("demo-models")
    execution = runner.start(json.dumps(PIPELINE), {"Auc": "0.93"}, "demo")

    assert execution.status == "Succeeded", execution.failure_reason
    assert list(statuses(execution)) == ["Sum", "Evaluate", "CheckAuc", "Register"]
    assert execution.step("CheckAuc").properties["Outcome"] == "True"
    sum_json = json.loads((store / "bucket/work/sum/sum.json").read_text())
    assert sum_json == {"total": 6, "args": ["--flag", "demo"]}
    evaluation = store / f"bucket/runs/{execution.execution_id}/evaluation/evaluation.json"
    assert json.loads(evaluation.read_text())["metrics"]["auc"]["value"] == 0.93

    [package] = registry.list_versions("demo-models")
    assert package.model_data_url == "s3://bucket/models/current/model.tar.gz"
    assert package.metrics == {"auc": 0.93, "total": 6.0}
    assert package.metadata == {"CommitId": "abc123", "input_data": "s3://bucket/raw/"}
    assert package.metrics_uri.endswith(f"{execution.execution_id}/evaluation/evaluation.json")
    assert execution.step("Register").properties["ModelPackageVersion"] == 1

    kinds = [(e.kind, e.step) for e in events]
    assert kinds[0] == ("execution_started", None)
    assert ("step_succeeded", "Register") in kinds
    assert kinds[-1] == ("execution_finished", None) and events[-1].status == "Succeeded"

    described = runner.describe(execution.execution_id)
    assert described.status == "Succeeded" and statuses(described) == statuses(execution)
    assert described.parameters["Auc"] == "0.93" and described.parameters["AucThreshold"] == 0.8
    log = runner.log_dir(execution.execution_id) / "Sum.log"
    assert "summing ['--flag', 'demo']" in log.read_text()
    assert described.step("Sum").log_files == ["logs/Sum.log"]
    assert not (runner.state_root / "work" / execution.execution_id).exists()


def test_else_branch_runs_the_fail_step_with_its_resolved_message(runner, registry):
    execution = runner.start(PIPELINE, {"Auc": "0.5"}, "demo")

    assert execution.status == "Failed"
    assert execution.failure_reason == "AUC below threshold 0.8"
    assert execution.step("CheckAuc").properties["Outcome"] == "False"
    assert execution.step("Register") is None
    assert statuses(execution)["AucTooLow"] == "Failed"
    assert registry.list_groups() == []


def test_a_failing_step_fails_the_execution_with_its_message_and_publishes_nothing(runner, store):
    failing = processing_step(
        "Broken",
        program(
            "(P('/opt/ml/processing/out') / 'half.csv').write_text('partial')\n"
            "P('/opt/ml/output/message').write_text('column price is missing\\n')\n"
            "print('about to fail', file=sys.stderr)\n"
            "sys.exit(3)\n"
        ),
        outputs=[("out", "s3://bucket/broken/out", "/opt/ml/processing/out")],
    )
    after = processing_step("After", "pass", depends_on=["Broken"])
    execution = runner.start(definition([failing, after]), {}, "failing")

    assert execution.status == "Failed"
    assert statuses(execution) == {"Broken": "Failed"}
    reason = execution.step("Broken").failure_reason
    assert reason.startswith("column price is missing") and "exit code 3" in reason
    assert execution.failure_reason == f"step 'Broken' failed: {reason}"
    assert not (store / "bucket/broken").exists()
    assert runner.describe(execution.execution_id).status == "Failed"


def test_without_a_message_file_the_failure_reason_is_the_last_stderr_lines(runner):
    failing = processing_step("Crash", "raise SystemExit('disk quota exceeded')")
    execution = runner.start(definition([failing]), {}, "failing")
    assert "disk quota exceeded" in execution.step("Crash").failure_reason


def test_a_missing_input_fails_the_step_like_sagemaker_client_error(runner):
    step = processing_step(
        "Read", "pass", inputs=[("data", "s3://bucket/nothing/", "/opt/ml/processing/in")]
    )
    execution = runner.start(definition([step]), {}, "missing")
    assert execution.status == "Failed"
    assert "no objects found at s3://bucket/nothing/" in execution.step("Read").failure_reason


def test_second_run_hits_the_cache_and_a_changed_parameter_misses(runner, tmp_path, events):
    counter = tmp_path / "runs.txt"
    counted = processing_step(
        "Prepare",
        program(
            f"open({str(counter)!r}, 'a').write('run\\n')\n"
            "(P('/opt/ml/processing/out') / 'value.txt').write_text(os.environ['VALUE'])\n"
        ),
        outputs=[
            (
                "out",
                {
                    "Std:Join": {
                        "On": "/",
                        "Values": ["s3://bucket/prepared", get("Execution.PipelineExecutionId")],
                    }
                },
                "/opt/ml/processing/out",
            )
        ],
        environment={"VALUE": get("Parameters.Value")},
        cache=True,
    )
    reader = processing_step(
        "Read",
        program(
            "value = (P('/opt/ml/processing/in') / 'value.txt').read_text()\n"
            "(P('/opt/ml/processing/out') / 'seen.txt').write_text(value)\n"
        ),
        inputs=[("in", out_uri("Prepare", "out"), "/opt/ml/processing/in")],
        outputs=[("out", "s3://bucket/seen", "/opt/ml/processing/out")],
    )
    pipeline = definition(
        [counted, reader], [{"Name": "Value", "Type": "String", "DefaultValue": "a"}]
    )

    first = runner.start(pipeline, {}, "cached")
    second = runner.start(pipeline, {}, "cached")
    assert first.status == second.status == "Succeeded"
    assert counter.read_text().count("run") == 1
    prepared = second.step("Prepare")
    assert prepared.cache_hit_source == first.execution_id
    assert prepared.properties == first.step("Prepare").properties  # the first run's outputs
    assert second.step("Read").cache_hit_source is None
    assert ("step_cached", "Prepare") in [(e.kind, e.step) for e in events]

    third = runner.start(pipeline, {"Value": "b"}, "cached")
    assert third.step("Prepare").cache_hit_source is None
    assert counter.read_text().count("run") == 2
    assert (runner.store.path("s3://bucket/seen") / "seen.txt").read_text() == "b"

    other_pipeline = runner.start(pipeline, {}, "another-name")
    assert other_pipeline.step("Prepare").cache_hit_source is None  # cache is per pipeline
    assert counter.read_text().count("run") == 3


def test_an_expired_cache_entry_is_not_reused(runner, tmp_path):
    counter = tmp_path / "runs.txt"
    step = processing_step(
        "Once", program(f"open({str(counter)!r}, 'a').write('run\\n')"), cache=True
    )
    step["CacheConfig"]["ExpireAfter"] = "PT0S"
    runner.start(definition([step]), {}, "expiring")
    runner.start(definition([step]), {}, "expiring")
    assert counter.read_text().count("run") == 2


def test_a_cached_step_whose_artifacts_were_deleted_runs_again(runner, tmp_path, store):
    counter = tmp_path / "runs.txt"
    step = processing_step(
        "Make",
        program(f"open({str(counter)!r}, 'a').write('run\\n')"),
        outputs=[("out", "s3://bucket/made", "/opt/ml/processing/out")],
        cache=True,
    )
    runner.start(definition([step]), {}, "pruned")
    (store / "bucket/made").rmdir()
    again = runner.start(definition([step]), {}, "pruned")
    assert again.step("Make").cache_hit_source is None
    assert counter.read_text().count("run") == 2


def test_runtime_unresolvable_reference_is_a_definition_error_recorded_on_the_execution(runner):
    broken_gate = json.loads(json.dumps(GATE_STEP))
    broken_gate["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"]["Path"] = (
        "metrics.f1.value"
    )
    pipeline = definition([SUM_STEP, EVALUATE_STEP, broken_gate], PARAMETERS)
    with pytest.raises(DefinitionError) as caught:
        runner.start(pipeline, {}, "demo")
    assert "step 'CheckAuc'" in str(caught.value) and "metrics.f1.value" in str(caught.value)
    record = runner.describe(caught.value.execution_id)
    assert record.status == "Failed"
    assert record.step("CheckAuc").status == "Failed"


def test_bad_requests_are_refused_before_anything_runs(runner):
    with pytest.raises(ParameterError, match="unknown pipeline parameter"):
        runner.start(PIPELINE, {"Nope": "1"}, "demo")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        runner.start("{not json", {}, "demo")
    with pytest.raises(UnknownExecutionError, match="no execution 'missing'"):
        runner.describe("missing")
    assert runner.list_executions() == []


def test_an_unknown_execution_is_the_protocols_error_too(runner):
    # Flows catch the protocol's UnknownExecution; the runner raises it natively.
    with pytest.raises(UnknownExecution, match="no execution 'missing'"):
        runner.describe("missing")


def test_list_executions_is_newest_first_and_filters_by_pipeline(runner):
    quick = definition([processing_step("Noop", "pass")])
    first = runner.start(quick, {}, "one")
    second = runner.start(quick, {}, "two")
    assert [e.execution_id for e in runner.list_executions()] == [
        second.execution_id,
        first.execution_id,
    ]
    assert [e.execution_id for e in runner.list_executions("one")] == [first.execution_id]
