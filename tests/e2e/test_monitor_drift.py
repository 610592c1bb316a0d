"""Issue 19, end to end: a model trained by the local pipeline, served by `orchestrator endpoint
serve` with data capture on, 500 requests drawn from its test split and then 500 with one
feature shifted. `orchestrator monitor run` finds no drift in the first window and drift on
exactly the shifted feature in the second; the capture files are SageMaker's format and layout.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.e2e_support import BIN, run_json, run_program

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-monitor")]

SHIFTED = "monthly_spend"
ENVIRONMENT = """\
name: local
backend: local
dataset:
  data: {data}
  schema: {schema}
pipeline:
  approval: auto
  tuning:
    max_jobs: 2
    max_parallel_jobs: 2
    static_hyperparameters: {{num_round: 60, early_stopping_rounds: 10, seed: 42}}
endpoint:
  workers: 1
  data_capture_percent: 100
monitoring:
  min_rows: 100
local:
  state_dir: {state}
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose local environment has run the pipeline on synthetic customer data."""
    folder = tmp_path_factory.mktemp("monitor")
    data, schema = folder / "customers.csv", folder / "customers.schema.yaml"
    made = run_program("generate-data", "synthetic", "--rows", "3000", "--seed", "11", "--out",
                       data, "--schema-out", schema, cwd=folder)  # fmt: skip
    assert made.returncode == 0, made.stderr
    environments = folder / "environments"
    environments.mkdir()
    (environments / "local.yaml").write_text(
        ENVIRONMENT.format(data=data, schema=schema, state=folder / "state")
    )
    run_json(environments, "run", cwd=folder)
    return folder


def test_monitor_finds_no_drift_then_exactly_the_shifted_feature(trained: Path) -> None:
    folder, environments = trained, trained / "environments"
    rows, columns = held_out_rows(folder)
    shift_at = columns.index(SHIFTED)
    picker = random.Random(19)
    with Serving(folder, environments) as url, httpx.Client(timeout=10) as client:
        earlier = captured_records(folder)  # the run's own requests (its scoring, its deploys)
        start = now()
        send(client, url, [picker.choice(rows) for _ in range(500)])
        wait_for_capture(folder, earlier + 500)
        middle = now()
        shifted = [shifted_row(picker.choice(rows), shift_at) for _ in range(500)]
        send(client, url, shifted)
        wait_for_capture(folder, earlier + 1000)
        end = now()

    quiet = monitor(environments, folder, start, middle, folder / "quiet")
    assert quiet.returncode == 0, quiet.stderr + quiet.stdout
    report = json.loads(quiet.stdout)
    assert report["status"] == "ok" and report["rows"] == 500, report["violations"]
    assert report["drifted_features"] == [] and report["violations"] == []

    drifted = monitor(environments, folder, middle, end, folder / "drift")
    assert drifted.returncode == 1, drifted.stderr
    report = json.loads(drifted.stdout)
    assert report["rows"] == 500
    assert report["drifted_features"] == [SHIFTED]
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in report["violations"]}
    assert (SHIFTED, "baseline_drift_check") in checks
    assert all(name in (SHIFTED, "_prediction", "_score") for name, _ in checks), checks
    page = (folder / "drift" / "drift_report.html").read_text()
    assert page.count("<svg") == len(report["drifted_features"] + report["drifted_predictions"])
    assert f"<h2>{SHIFTED}</h2>" in page and "<script" not in page
    violations = json.loads((folder / "drift" / "constraint_violations.json").read_text())
    assert violations["violations"] == report["violations"]


def test_capture_files_are_sagemakers_format_and_hourly_layout(trained: Path) -> None:
    files = sorted((trained / "state" / "store").glob("*/data-capture/**/*.jsonl"))
    assert files, "the monitoring test above captured requests"
    for path in files:
        parts = path.relative_to(trained / "state" / "store").parts
        # <bucket>/data-capture/<endpoint>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl
        assert parts[1] == "data-capture" and parts[2] == parts[3] == "mlops-local-endpoint"
        assert parts[4] == "AllTraffic" and [len(p) for p in parts[5:9]] == [4, 2, 2, 2]
        record = json.loads(path.read_text().splitlines()[0])
        assert record["eventVersion"] == "0"
        assert set(record["captureData"]) == {"endpointInput", "endpointOutput"}
        request = record["captureData"]["endpointInput"]
        assert (request["mode"], request["encoding"]) == ("INPUT", "CSV")
        assert request["observedContentType"] == "text/csv"
        answer = record["captureData"]["endpointOutput"]
        assert (answer["mode"], answer["encoding"]) == ("OUTPUT", "JSON")
        when = record["eventMetadata"]["inferenceTime"]
        assert when.startswith("-".join(parts[5:8]) + "T" + parts[8])


def test_monitor_refuses_an_empty_window_naming_the_fix(trained: Path) -> None:
    done = in_process("monitor", "run", "--env", "local", "--environments-dir",
                      str(trained / "environments"), "--since", "2020-01-01T00:00:00Z",
                      "--until", "2020-01-02T00:00:00Z")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "no captured requests between 2020-01-01T00:00:00Z" in done.stderr
    assert "send requests to the endpoint" in done.stderr and "Traceback" not in done.stderr


# -- helpers ------------------------------------------------------------------------------------
def held_out_rows(folder: Path) -> tuple[list[list[str]], list[str]]:
    """The held-out rows the run registered (batch.csv: ID column, then the features)."""
    store = folder / "state" / "store"
    [batch] = store.glob("local-mlops-local-artifacts/*/*/Preprocess/output/batch/batch.csv")
    schema_lines = (folder / "customers.schema.yaml").read_text().splitlines()
    columns = [line.split(":")[1].strip() for line in schema_lines if "- name:" in line]
    rows = [line.split(",")[1:] for line in batch.read_text().splitlines() if line]
    return rows, columns


def shifted_row(row: list[str], at: int) -> list[str]:
    changed = list(row)
    if changed[at]:
        changed[at] = repr(float(changed[at]) * 1.8 + 40.0)
    return changed


class Serving:
    """`orchestrator endpoint serve` in the background for the block."""

    def __init__(self, folder: Path, environments: Path) -> None:
        from orchestrator.backends.local.serve_process import free_port

        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "orchestrator"), "endpoint", "serve", "--env", "local",
             "--environments-dir", str(environments), "--port", str(self.port)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def __enter__(self) -> str:
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("endpoint serve did not answer /ping within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def send(client: httpx.Client, url: str, rows: list[list[str]]) -> None:
    for row in rows:
        answer = client.post(f"{url}/invocations", content=",".join(row),
                             headers={"Content-Type": "text/csv"})  # fmt: skip
        assert answer.status_code == 200, answer.text


def captured_records(folder: Path) -> int:
    files = (folder / "state" / "store").glob("*/data-capture/**/*.jsonl")
    return sum(len(path.read_text().splitlines()) for path in files)


def wait_for_capture(folder: Path, records: int) -> None:
    """Capture is buffered for about a second; wait until the worker has appended it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = captured_records(folder)
        if found >= records:
            return
        time.sleep(0.2)
    raise AssertionError(f"expected {records} captured records, found {found}")


def now() -> str:
    time.sleep(0.01)  # a boundary strictly between the two batches' inference times
    stamp = datetime.now(UTC)
    time.sleep(0.01)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def monitor(
    environments: Path, folder: Path, since: str, until: str, report: Path
) -> subprocess.CompletedProcess[str]:
    """`orchestrator monitor run` in this process (the command's own main; a second Python
    importing scipy would double the test's time)."""
    return in_process("monitor", "run", "--env", "local", "--environments-dir", str(environments),
                      "--since", since, "--until", until, "--report", str(report),
                      "--output", "json")  # fmt: skip


def in_process(*argv: str) -> subprocess.CompletedProcess[str]:
    from orchestrator.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())
