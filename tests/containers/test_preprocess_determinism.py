"""Same input and seed give byte-identical outputs, whatever ``--chunk-rows`` is; memory stays
flat as the input grows."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from test_preprocess_support import VENV_BIN, lay_out_processing_inputs, run_program


@pytest.fixture(scope="module")
def synthetic_input(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("determinism")
    csv_file, schema_file = work / "data.csv", work / "schema.yaml"
    result = run_program(
        "generate-data", "synthetic", "--rows", "30000", "--bad-rows", "0.02", "--seed", "9",
        "--problem-type", "multiclass", "--out", str(csv_file), "--schema-out", str(schema_file),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return csv_file, schema_file


def outputs(root: Path) -> dict[str, bytes]:
    output = root / "processing" / "output"
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*.*"))}


def preprocess(root: Path, *args: str) -> dict[str, bytes]:
    result = run_program("preprocess", *args, root=root)
    assert result.returncode == 0, result.stderr
    return outputs(root)


def test_same_seed_gives_byte_identical_outputs_for_any_chunk_size(synthetic_input, tmp_path):
    csv_file, schema_file = synthetic_input
    roots = [lay_out_processing_inputs(tmp_path / n, [csv_file], schema_file) for n in "abcd"]
    first = preprocess(roots[0], "--seed", "7")
    assert set(first) == {
        "train/train.csv", "validation/validation.csv", "test/test.csv",
        "transform/transform.json", "transform/schema.json", "batch/batch.csv",
        "batch/labels.csv", "report/report.json", "report/quarantine.csv",
    }  # fmt: skip
    assert preprocess(roots[1], "--seed", "7") == first
    assert preprocess(roots[2], "--seed", "7", "--chunk-rows", "997") == first
    other_seed = preprocess(roots[3], "--seed", "8")
    assert other_seed["train/train.csv"] != first["train/train.csv"]
    assert other_seed["transform/schema.json"] == first["transform/schema.json"]
    report = json.loads(first["report/report.json"])
    assert report["rows_in"] == 30000 and report["seed"] == 7


def peak_rss_kib(root: Path, *args: str) -> int:
    """Run preprocess and return the child's own peak resident set size (KiB)."""
    env = dict(os.environ, OPT_ML_ROOT=str(root))
    process = subprocess.Popen(
        [str(VENV_BIN / "preprocess"), *args], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == 0, stderr
    return usage.ru_maxrss


@pytest.mark.timeout(120)
def test_peak_memory_stays_flat_from_50k_to_400k_rows(tmp_path):
    peaks = {}
    for rows in (50_000, 400_000):
        csv_file, schema_file = tmp_path / f"{rows}.csv", tmp_path / f"{rows}.yaml"
        generated = run_program(
            "generate-data", "synthetic", "--rows", str(rows), "--out", str(csv_file),
            "--schema-out", str(schema_file),
        )  # fmt: skip
        assert generated.returncode == 0, generated.stderr
        root = lay_out_processing_inputs(tmp_path / f"root{rows}", [csv_file], schema_file)
        csv_file.unlink()
        peaks[rows] = peak_rss_kib(root, "--chunk-rows", "5000")
        report = json.loads((root / "processing/output/report/report.json").read_text())
        assert report["rows_accepted"] == rows
    # 8x the rows: the only growth allowed is the 8-byte duplicate hashes (2.8 MB here), the
    # fitter's bounded reservoir and allocator noise. Holding the rows would add > 40 MB.
    assert peaks[400_000] < peaks[50_000] + 20 * 1024, peaks
