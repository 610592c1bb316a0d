"""``orchestrator recommend`` (issue #18) after a real local run: the real serve program is
measured (latency per request, resident memory of each worker), training time comes from the
recorded trials, and the recommendation names priced types, counts and hourly costs; the saved
measurements then size an aws environment without touching AWS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import lean_environments, run_json, run_program

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-recommend")]

ROOT = Path(__file__).resolve().parents[2]


def test_recommend_measures_the_served_model_and_sizes_local_and_dev(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("recommend")
    environments = lean_environments(folder)
    summary = run_json(environments, "run", cwd=folder)
    saved = folder / "measured.json"

    result = run_json(
        environments, "recommend", "--requests", "60", "--rps", "50",
        "--save-measurements", saved, cwd=folder,
    )  # fmt: skip
    measured = result["measured"]
    endpoint = measured["endpoint"]
    assert endpoint["model"] == f"{summary['model_package']['group']} v1"
    assert endpoint["workers"] == 1 and len(endpoint["worker_rss_mib"]) == 1  # lean: 1 worker
    assert 20 < endpoint["worker_rss_mib"][0] < 4096  # a real python process holding a model
    assert 0 < endpoint["latency_p50_ms"] <= endpoint["latency_p99_ms"] < 1000
    assert measured["training"]["execution"] == summary["execution"]["id"]
    assert measured["training"]["train_rows"] > 300 and measured["seconds_per_million_rows"] > 0

    chosen = result["endpoint"]["chosen"]
    assert result["complete"] and chosen["count"] >= 1 and chosen["usd_per_hour"] > 0
    assert result["endpoint"]["needs"]["requests_per_second_source"] == "--rps"
    assert result["training"]["chosen"]["usd_per_hour"] > 0
    assert result["prices"]["region"] == "us-east-1" and result["prices"]["compiled_on"]
    assert "no price" not in result["explanation"]["endpoint"]  # unpriced types: listed, skipped
    assert result["endpoint"]["unpriced"]

    text = run_program(
        "orchestrator", "recommend", "--env", "local", "--environments-dir", environments,
        "--measurements", saved, cwd=folder,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "per serving worker" in text.stdout and "$" in text.stdout

    shutil.copy(ROOT / "environments" / "dev.yaml", environments / "dev.yaml")
    dev = run_program(
        "orchestrator", "recommend", "--env", "dev", "--environments-dir", environments,
        "--measurements", saved, "--output", "json", cwd=folder,
    )  # fmt: skip
    assert dev.returncode == 0, dev.stderr
    assert '"environment": "dev"' in dev.stdout and "eu-west-1" in dev.stdout  # region note
