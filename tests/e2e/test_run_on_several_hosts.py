"""``orchestrator run --env local --set training.instance_count=2 --set
preprocessing.instance_count=2`` (issue #18): every job step runs on two local hosts, the run
succeeds end to end (register, serve, batch) and its summary shows each step's host count."""

from __future__ import annotations

import pytest
from e2e_support import lean_environments, run_json, steps_by_name

pytestmark = pytest.mark.slow


def test_run_with_two_hosts_per_job_succeeds_and_the_summary_shows_host_counts(tmp_path):
    environments = lean_environments(tmp_path)
    summary = run_json(
        environments,
        "run",
        "--set",
        "training.instance_count=2",
        "--set",
        "preprocessing.instance_count=2",
        cwd=tmp_path,
    )
    assert summary["execution"]["status"] == "Succeeded"
    assert summary["hosts"] == {"Preprocess": 2, "Tune": 2, "Evaluate": 2}
    steps = steps_by_name(summary)
    assert steps["QualityGate"]["hosts"] is None
    assert summary["metrics"]["auc"] > 0.9
    assert summary["model_package"]["version"] == 1
    logs = sorted(p.name for p in (tmp_path / "state").rglob("*.algo-2.log"))
    assert any(name.startswith("Preprocess") for name in logs), logs
    assert any(name.startswith("Tune.trial-") for name in logs), logs
