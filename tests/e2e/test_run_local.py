"""``orchestrator run --env local`` end to end through the installed console script (issue 3):
the demo data through preprocess, tuning, evaluation, the gate and registration, then a local
endpoint and a batch transform; a second run reuses the cached steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import STEPS, lean_environments, lines, run_json, steps_by_name

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-demo")]


def test_the_demo_job_runs_end_to_end_and_a_second_run_reuses_cached_steps(
    tmp_path: Path,
) -> None:
    environments = lean_environments(tmp_path)
    first = run_json(environments, "run", cwd=tmp_path)

    assert first["dataset"]["source"] == "demo:breast_cancer"
    assert first["execution"]["status"] == "Succeeded"
    steps = steps_by_name(first)
    assert list(steps) == STEPS
    assert all(s["status"] == "Succeeded" and not s["cached"] for s in steps.values())
    assert first["metrics"]["auc"] >= 0.97
    assert first["best_hyperparameters"]["objective"]["validation:auc"] > 0.9
    package = first["model_package"]
    assert package["approval_status"] == "Approved" and package["version"] == 1
    endpoint = first["endpoint"]
    assert endpoint["status"] == "ok" and endpoint["rows_sent"] == 5
    assert endpoint["sample_prediction"]["label"] in ("benign", "malignant")
    batch = first["batch_transform"]
    inputs, outputs = lines(batch["input"]), lines(batch["output"])
    assert len(outputs) == len(inputs) == batch["records"] > 50
    for line in outputs:  # label, then one probability per class
        label, *probabilities = line.split(",")
        assert label in ("benign", "malignant")
        assert abs(sum(map(float, probabilities)) - 1) < 1e-5

    second = run_json(environments, "run", cwd=tmp_path)
    assert second["execution"]["status"] == "Succeeded"
    assert second["execution"]["id"] != first["execution"]["id"]
    cached = steps_by_name(second)
    for name in ("Preprocess", "Tune", "Evaluate"):
        assert cached[name]["cached"], f"{name} was not reused from the first run"
    assert second["metrics"]["auc"] == first["metrics"]["auc"]
    assert second["endpoint"]["status"] == "ok"
    assert len(lines(second["batch_transform"]["output"])) == len(inputs)

    listed = run_json(environments, "executions", "list", cwd=tmp_path)
    assert {e["id"] for e in listed} == {first["execution"]["id"], second["execution"]["id"]}
    described = run_json(environments, "executions", "describe", "latest", cwd=tmp_path)
    assert described["status"] == "Succeeded"
