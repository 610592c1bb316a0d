"""``orchestrator run --env local --set training.instance_count=2 --set
preprocessing.instance_count=2`` (issue #18): every job step runs on two local hosts, the run
succeeds end to end (register, serve, batch) and its summary shows each step's host count; with a
folder of CSV files the preprocessing hosts share the files."""

from __future__ import annotations

import json

import pytest
from e2e_support import lean_environments, run_json, run_program, steps_by_name
from ml_containers.data.bundled import write_schema
from ml_containers.data.demo import write_demo

pytestmark = pytest.mark.slow


def test_run_with_two_hosts_per_job_succeeds_and_the_summary_shows_host_counts(tmp_path):
    environments = lean_environments(tmp_path)
    done = run_program(
        "orchestrator",
        "run",
        "--set",
        "training.instance_count=2",
        "--set",
        "preprocessing.instance_count=2",
        *("--env", "local", "--environments-dir", environments, "--output", "json"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    # the demo data is one file: the second preprocessing host has none, and the run says so
    assert "so 1 preprocessing host(s) will have no rows" in done.stderr
    assert summary["execution"]["status"] == "Succeeded"
    assert summary["hosts"] == {"Preprocess": 2, "Tune": 2, "Evaluate": 2}
    steps = steps_by_name(summary)
    assert steps["QualityGate"]["hosts"] is None
    assert summary["metrics"]["auc"] > 0.9
    assert summary["model_package"]["version"] == 1
    logs = sorted(p.name for p in (tmp_path / "state").rglob("*.algo-2.log"))
    assert any(name.startswith("Preprocess") for name in logs), logs
    assert any(name.startswith("Tune.trial-") for name in logs), logs


def test_two_preprocessing_hosts_share_a_folder_of_files_and_train_on_all_rows(tmp_path):
    """``--data`` a folder of four CSV files: with ``preprocessing.instance_count=2`` each host
    preprocesses two of them (ShardedByS3Key), every host's parts reach training and Evaluate,
    and the report counts every row once."""
    environments = lean_environments(tmp_path)
    whole = tmp_path / "whole.csv"
    rows = write_demo("breast_cancer", whole)
    write_schema("breast_cancer", tmp_path / "schema.yaml")
    header, *lines = whole.read_text().splitlines(keepends=True)
    folder = tmp_path / "data"
    folder.mkdir()
    for k in range(4):
        (folder / f"rows-{k}.csv").write_text(header + "".join(lines[k::4]))
    summary = run_json(
        environments,
        "run",
        "--data",
        folder,
        "--schema",
        tmp_path / "schema.yaml",
        "--set",
        "preprocessing.instance_count=2",
        cwd=tmp_path,
    )
    assert summary["execution"]["status"] == "Succeeded"
    assert summary["hosts"]["Preprocess"] == 2
    assert summary["metrics"]["auc"] > 0.9
    reports = [
        json.loads(p.read_text())
        for p in (tmp_path / "state").rglob("report/report.json")
        if "Preprocess" in p.as_posix() and ".versions" not in p.parts and p.is_file()
    ]
    assert reports and all(r["hosts"] == 2 and r["rows_in"] == rows for r in reports), reports
    parts = {p.name for p in (tmp_path / "state").rglob("test-part-*.csv") if p.is_file()}
    assert {"test-part-00000.csv", "test-part-00001.csv"} <= parts, parts
