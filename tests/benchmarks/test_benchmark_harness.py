"""Smoke tests of the benchmark harness on tiny cases: the bare server answers with the same
probabilities as ``serve`` and the in-process model, the wrk Lua script and its parser work, the
training and batch pipelines run end to end on a few thousand rows, and MLflow's server scores
the same model. No timing asserts: figures come from ``make bench`` on a quiet machine only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import fixtures, mlflow_peer
from benchmarks.bare_server import load_booster, predictor
from benchmarks.batch import run_batch
from benchmarks.common import machine
from benchmarks.procfs import CpuSample, cpu_seconds, descendants, peak_rss_bytes
from benchmarks.report import markdown
from benchmarks.run_all import main as bench_main
from benchmarks.serving import (
    CASES,
    Peer,
    ServingSettings,
    check_agreement,
    run_case,
    start_bare,
    start_ours,
    targets,
)
from benchmarks.serving_payloads import load_rows, payload, positive_probabilities
from benchmarks.training import run_training

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "containers"))
from serve_helpers import build_bundle

pytestmark = pytest.mark.xdist_group("benchmarks")  # one worker: these start model servers

TINY = ServingSettings(workers=1, connections=2, seconds=1.0, warmup_seconds=1.0, runs=1)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory):
    return build_bundle(tmp_path_factory.mktemp("bench-bundle") / "model", "binary")


@pytest.fixture(scope="module")
def peers(bundle, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("bench-logs")
    started = [
        Peer("ours", start_ours(bundle.directory, 1, logs)),
        Peer("bare", start_bare(bundle.directory, 1, logs)),
        Peer("bare-direct", start_bare(bundle.directory, 1, logs, predict="direct")),
    ]
    try:
        for peer in started:
            peer.server.wait_ready(timeout=60)
        yield started
    finally:
        for peer in started:
            peer.server.stop()


def _rows(bundle, count: int = 5):
    text = [[repr(v) for v in row] for row in bundle.raw_rows[:count]]
    return load_rows(bundle.directory, text)


def test_payloads_agree_with_the_model_in_process(bundle) -> None:
    rows = _rows(bundle)
    expected = bundle.expected(bundle.raw_rows[:5])[:, 1]
    for kind in ("ours", "bare", "mlflow"):
        for encoding in ("csv", "json"):
            item = payload(kind, encoding, rows)
            assert item.body and item.content_type in ("text/csv", "application/json")
    # the peers' transformed rows are exactly what serve computes from the raw ones
    assert np.allclose(bundle.bundle.predict(rows.transformed)[:, 1], expected, atol=1e-6)
    assert positive_probabilities("bare", "text/csv", b"0.25\n0.75\n").tolist() == [0.25, 0.75]


def test_bare_server_predicts_in_place_or_directly_and_refuses_anything_else(bundle) -> None:
    booster = load_booster(str(bundle.directory / "model.ubj"))
    rows = _rows(bundle, 20).transformed.astype(np.float32)
    expected = booster.inplace_predict(rows)
    for how in ("inplace", "direct"):
        assert np.array_equal(predictor(booster, how)(rows), expected), how
    with pytest.raises(ValueError, match="BENCH_BARE_PREDICT must be 'inplace' or 'direct'"):
        predictor(booster, "fast")


def test_bare_server_and_serve_return_the_same_probabilities(bundle, peers) -> None:
    rows = _rows(bundle, 120)
    for case in CASES:
        assert check_agreement(peers, rows, case) < 1e-5, case.name


def test_wrk_harness_measures_each_peer(bundle, peers, tmp_path: Path) -> None:
    if shutil.which("wrk") is None:  # `make test` installs it (bench-tools): fail, never skip
        pytest.fail("wrk is not installed; run `make bench-tools` (or apt-get install -y wrk)")
    result = run_case(peers, _rows(bundle, 100), CASES[0], TINY, tmp_path)
    for kind in ("ours", "bare", "bare-direct"):
        figures = result["peers"][kind]
        assert figures["requests_per_second"] > 0
        assert figures["non_2xx"] == 0 and figures["socket_errors"] == 0
        assert figures["p99_ms"] >= figures["p50_ms"] > 0
        assert len(figures["cpu_percent_per_worker"]) == 1
    assert set(result["ratios"]) == {"ours_over_bare_rps", "ours_over_bare_direct_rps"}
    serving = {
        "settings": TINY.__dict__,
        "tcp_nodelay": "on",
        "cases": {"csv-1row": result},
        "targets": targets({"csv-1row": result}),
    }
    table = markdown({"machine": machine(), "finished_at": "now", "sections": {"serving": serving}})
    assert "| csv-1row | ours |" in table and "| csv-1row | bare |" in table
    assert "| csv-1row | bare-direct |" in table
    assert "csv-1row ours/bare req/s >= 0.8" in table


@pytest.mark.slow  # MLflow imports and starts in ~20 s
def test_mlflow_peer_scores_the_same_model(bundle, peers, tmp_path: Path) -> None:
    if mlflow_peer.installed_version() != mlflow_peer.MLFLOW_VERSION:  # `make test` installs it
        pytest.fail(
            f"MLflow {mlflow_peer.MLFLOW_VERSION} is not installed in {mlflow_peer.VENV}; run "
            "`make bench-tools` (needs PyPI)"
        )
    uri, names = mlflow_peer.log_model(bundle.directory / "model.ubj", tmp_path / "mlflow")
    assert len(names) == len(bundle.feature_names)
    server = mlflow_peer.start_mlflow_server(uri, tmp_path / "mlflow", 1, tmp_path / "logs")
    with server:
        server.wait_ready(timeout=120)
        everyone = [*peers, Peer("mlflow", server)]
        for case in CASES:
            assert check_agreement(everyone, _rows(bundle, 100), case) < 1e-5, case.name


@pytest.mark.slow  # generate-data, preprocess, train, two serve starts: ~30 s
def test_training_and_batch_pipelines_run_on_a_small_dataset(tmp_path: Path) -> None:
    data = fixtures.synthetic_preprocessed(2_000, work=tmp_path)
    training = run_training(data, tmp_path / "training", runs=1)
    assert training["rounds_trained"]["ours"] == training["rounds_trained"]["bare"]
    assert training["train_rows"] > 1_000
    small = fixtures.batch_file(1_000, work=tmp_path)
    large = fixtures.batch_file(3_000, work=tmp_path)
    assert small.read_text().count("\n") == 1_000
    assert not small.read_text().startswith("age")  # no header
    assert '"' not in small.read_text()  # unquoted, as batch input usually is
    result = run_batch(Path(training["model_dir"]), small, large, tmp_path / "batch", workers=1)
    assert result["sizes"]["large"]["rows"] == 3_000
    for size in result["sizes"].values():
        assert size["ours"]["peak_mb"] > 0 and size["in_process"]["rows_per_second"] > 0


def test_procfs_sees_a_process_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in descendants(os.getpid())
        assert cpu_seconds(child.pid) is not None
        assert peak_rss_bytes(child.pid) > 0
        assert child.pid in CpuSample.of_tree(os.getpid()).seconds
    finally:
        child.kill()
        child.wait()
    assert cpu_seconds(child.pid) is None


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        bench_main(["servng"])
    assert raised.value.code == 2
    assert "invalid choice servng" in capsys.readouterr().err
