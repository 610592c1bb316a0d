"""The quality gate's metric chosen at run time (issue #24): ``--parameter GateMetric=NAME``
with its own ``MetricThreshold``, judged in the metric's own direction by the same definition
that runs on SageMaker, through the installed console script on the local backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import lean_environments, run_json, run_program, steps_by_name

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-demo")]


def _run(environments: Path, *parameters: str, cwd: Path):
    argv = [f"--parameter={p}" for p in parameters]
    return run_program(
        "orchestrator",
        "run",
        "--env",
        "local",
        "--environments-dir",
        environments,
        "--output",
        "json",
        *argv,
        cwd=cwd,
    )


def test_an_error_metric_over_its_threshold_fails_the_run_registers_nothing_and_exits_1(
    tmp_path: Path,
) -> None:
    environments = lean_environments(tmp_path)
    done = _run(environments, "GateMetric=log_loss", "MetricThreshold=0.0001", cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    execution = summary["execution"]
    assert execution["status"] == "Failed"
    reason = execution["failure_reason"]
    assert reason.startswith("Quality gate not met: test log_loss is 0.")
    assert reason.endswith(
        "but must be at most 0.0001 (MetricThreshold); the model was not registered."
    )
    assert steps_by_name(summary)["QualityGateFailed"]["status"] == "Failed"
    assert "Register" not in steps_by_name(summary)
    assert run_json(environments, "models", "list", cwd=tmp_path) == []


def test_a_score_metric_chosen_at_run_time_registers_the_model_with_that_gate_in_its_lineage(
    tmp_path: Path,
) -> None:
    environments = lean_environments(tmp_path)
    first = _run(environments, "GateMetric=accuracy", "MetricThreshold=0.9999", cwd=tmp_path)
    assert first.returncode == 1 and "must be at least 0.9999" in first.stdout
    summary = run_json(
        environments,
        "run",
        "--parameter",
        "GateMetric=accuracy",
        "--parameter",
        "MetricThreshold=0.5",
        cwd=tmp_path,
    )
    assert summary["execution"]["status"] == "Succeeded"
    steps = steps_by_name(summary)
    # Preprocess and Tune are reused; Evaluate's environment holds the gate, so it runs again.
    assert steps["Preprocess"]["cached"] and steps["Tune"]["cached"]
    assert not steps["Evaluate"]["cached"]
    package = summary["model_package"]
    assert package["version"] == 1
    (listed,) = run_json(environments, "models", "list", cwd=tmp_path)
    assert listed["arn"] == package["arn"]
    lineage = listed["metadata"]
    assert lineage["gate_metric"] == "accuracy"
    assert lineage["gate_threshold"] == "0.5"
    assert float(lineage["gate_metric_value"]) >= 0.5


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (
            ("GateMetric=rmse", "MetricThreshold=1"),
            "parameter 'GateMetric' must be one of ['auc', 'accuracy', 'precision', 'recall', "
            "'f1', 'macro_f1', 'weighted_f1', 'log_loss'], got 'rmse'",
        ),
        (("GateMetric=f1",), "--parameter GateMetric=f1 needs its own threshold"),
        (("NoSuch=1",), "unknown pipeline parameter(s) NoSuch"),
        (("MetricThreshold=high",), "'MetricThreshold' is declared Float but got 'high'"),
    ],
)
def test_a_gate_or_parameter_the_pipeline_cannot_honour_is_refused_before_any_job(
    tmp_path: Path, parameters: tuple[str, ...], expected: str
) -> None:
    environments = lean_environments(tmp_path)
    done = _run(environments, *parameters, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert run_json(environments, "executions", "list", cwd=tmp_path) == []
