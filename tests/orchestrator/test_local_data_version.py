"""Issue #16 on the local backend, through the installed ``orchestrator run`` as a user runs it:
training on a fixed prefix of the local store (``--parameter InputData=s3://...``), the same
data reuses Preprocess's cached result and new data under the same prefix runs it again. Before
the data version was part of Preprocess's cache key, the third run reused the first run's
splits, and so its model, although the data had changed."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import BIN, lean_environments, run_json, steps_by_name

from orchestrator.settings.environment import load_environment
from orchestrator.settings.stack_outputs import StackOutputs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-demo")]


def _run(environments: Path, cwd: Path, *argv: str) -> dict[str, Any]:
    summary = run_json(environments, "run", *argv, cwd=cwd)
    assert summary["execution"]["status"] == "Succeeded"
    return summary


def _preprocess_cached(summary: dict[str, Any]) -> bool:
    return bool(steps_by_name(summary)["Preprocess"]["cached"])


def test_new_data_under_a_fixed_prefix_misses_preprocess_cache_and_the_same_data_hits(
    tmp_path: Path,
) -> None:
    environments = lean_environments(tmp_path)
    config = load_environment("local", environments)
    bucket = StackOutputs.local(config.project, config.name, config.region).data_bucket
    fixed = f"s3://{bucket}/fixed/data/"
    folder = tmp_path / "state" / "store" / bucket / "fixed" / "data"
    folder.mkdir(parents=True)
    demo = tmp_path / "demo.csv"
    subprocess.run([str(BIN / "generate-data"), "demo", "--out", str(demo)], check=True)
    rows = list(csv.reader(demo.open()))
    with (folder / "rows.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows[:-20])  # the header and all but the last 20 rows
    override = ("--parameter", f"InputData={fixed}")

    first = _run(environments, tmp_path, *override)
    assert not _preprocess_cached(first)  # new InputData: nothing cached for it yet
    same = _run(environments, tmp_path, *override)
    assert _preprocess_cached(same)  # same prefix, same objects: reused

    with (folder / "rows.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)  # the 20 rows arrive under the same prefix
    changed = _run(environments, tmp_path, *override)
    assert not _preprocess_cached(changed), "Preprocess reused a result from the old data"
