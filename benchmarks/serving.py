"""Serving benchmark: ``serve`` vs MLflow's scoring server vs the bare reference server
(predicting with ``inplace_predict``, and as bare-direct with ``serve``'s XGBoost C call), the same
XGBoost model (trained on the demo data by ``train``), the same worker count, loaded by wrk on
127.0.0.1 with more connections than workers.

Per case (single-row CSV, single-row JSON, 100-row CSV) and peer: a warm-up, then ``runs``
bounded runs interleaved across peers (so a drift in machine load hits every peer alike), medians
of requests/s, rows/s, p50, p99, error counts and CPU per server process.
"""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import mlflow_peer
from .common import BIN, REPO, BenchmarkError, fmt, median, ratio
from .procfs import CpuSample, command_line, cpu_percent_by_process, descendants, rss_bytes
from .servers import ManagedServer, free_port
from .serving_payloads import DemoRows, Encoding, Payload, PeerKind, payload
from .serving_payloads import positive_probabilities as read_probabilities
from .wrk_load import LoadRun, run_wrk, write_script


@dataclass(frozen=True)
class ServingCase:
    name: str
    rows: int
    encoding: Encoding


CASES = (
    ServingCase("csv-1row", 1, "csv"),
    ServingCase("json-1row", 1, "json"),
    ServingCase("csv-100rows", 100, "csv"),
)


BUSY_PERCENT = 10.0  # a server process using more CPU than this during a run is doing the work


@dataclass(frozen=True)
class ServingSettings:
    workers: int = 2
    connections: int = 8
    seconds: float = 10.0
    warmup_seconds: float = 3.0
    runs: int = 3
    with_mlflow: bool = True


QUICK = ServingSettings(seconds=1.0, warmup_seconds=1.0, runs=1)


@dataclass
class Peer:
    kind: PeerKind
    server: ManagedServer


# -- starting the three servers ------------------------------------------------------------------
def start_ours(model_dir: Path, workers: int, log_dir: Path) -> ManagedServer:
    port = free_port()
    command = [
        str(BIN / "serve"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--model-dir",
        str(model_dir),
        "--workers",
        str(workers),
    ]
    return ManagedServer("ours", command, port, log_dir)


def start_bare(
    model_dir: Path, workers: int, log_dir: Path, predict: str = "inplace"
) -> ManagedServer:
    """gunicorn + ``serve``'s uvicorn worker class (TCP_NODELAY included) + the bare app;
    ``predict="direct"`` is the bare-direct peer (the same XGBoost C call as ``serve``)."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-w",
        str(workers),
        "-k",
        "ml_containers.serve.worker.ServingWorker",
        "-b",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "75",
        "--no-control-socket",
        "benchmarks.bare_server:app",
    ]
    env = {
        "BENCH_BARE_MODEL": str(model_dir / "model.ubj"),
        "BENCH_BARE_PREDICT": predict,
        "OMP_NUM_THREADS": "1",
    }
    name = "bare" if predict == "inplace" else f"bare-{predict}"
    return ManagedServer(name, command, port, log_dir, env=env, cwd=REPO)


@contextlib.contextmanager
def running_peers(
    model_dir: Path, settings: ServingSettings, work_dir: Path
) -> Iterator[list[Peer]]:
    """All peers up at once (their start-ups overlap), stopped whatever happens."""
    log_dir = work_dir / "logs"
    peers: list[Peer] = []
    try:
        peers.append(Peer("ours", start_ours(model_dir, settings.workers, log_dir)))
        peers.append(Peer("bare", start_bare(model_dir, settings.workers, log_dir)))
        direct = start_bare(model_dir, settings.workers, log_dir, predict="direct")
        peers.append(Peer("bare-direct", direct))
        if settings.with_mlflow:
            mlflow_peer.ensure_venv()
            model_uri, _ = mlflow_peer.log_model(model_dir / "model.ubj", work_dir / "mlflow")
            server = mlflow_peer.start_mlflow_server(
                model_uri, work_dir / "mlflow", settings.workers, log_dir
            )
            peers.append(Peer("mlflow", server))
        for peer in peers:
            peer.server.wait_ready(timeout=180)
        yield peers
    finally:
        for peer in peers:
            peer.server.stop()


# -- checking and measuring ------------------------------------------------------------------------
def post(url: str, item: Payload) -> bytes:
    request = urllib.request.Request(
        url + "/invocations",
        data=item.body,
        headers={"Content-Type": item.content_type, "Accept": item.accept},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise BenchmarkError(f"{url} answered {response.status}")
        return bytes(response.read())


def check_agreement(peers: list[Peer], rows: DemoRows, case: ServingCase) -> float:
    """Every peer answers one request of the case; returns the largest difference between a
    peer's probabilities and ours (they score the same trees, so it should be ~1e-7)."""
    sample = rows.take(case.rows)
    answers: dict[str, np.ndarray] = {}
    for peer in peers:
        item = payload(peer.kind, case.encoding, sample)
        try:
            body = post(peer.server.url, item)
        except OSError as exc:
            raise BenchmarkError(
                f"{peer.kind} failed on {case.name}: {exc}\n{peer.server.log_tail()}"
            ) from None
        answers[peer.kind] = read_probabilities(peer.kind, item.accept, body)
        if answers[peer.kind].shape != (case.rows,):
            raise BenchmarkError(
                f"{peer.kind} answered {answers[peer.kind].shape[0]} predictions for "
                f"{case.rows} rows on {case.name}"
            )
    ours = answers["ours"]
    return max(float(np.max(np.abs(p - ours))) for p in answers.values())


def measure_run(
    peer: Peer, script: Path, settings: ServingSettings, seconds: float
) -> tuple[LoadRun, list[float]]:
    """One wrk run and the CPU percent of each server process over it (busiest first)."""
    before = CpuSample.of_tree(peer.server.pid)
    started = time.perf_counter()
    load = run_wrk(peer.server.url + "/invocations", script, seconds, settings.connections)
    wall = time.perf_counter() - started
    after = CpuSample.of_tree(peer.server.pid)
    percent = cpu_percent_by_process(before, after, wall)
    return load, sorted(percent.values(), reverse=True)


def _summary(runs: list[LoadRun], cpu: list[list[float]], rows: int, workers: int) -> dict:
    per_second = median([r.requests_per_second for r in runs])
    busiest = [median([c[i] if i < len(c) else 0.0 for c in cpu]) for i in range(workers)]
    cpu_total = median([sum(c) for c in cpu])
    return {
        "requests_per_second": round(per_second, 1),
        "rows_per_second": round(per_second * rows, 1),
        "p50_ms": round(median([r.p50_ms for r in runs]), 3),
        "p99_ms": round(median([r.p99_ms for r in runs]), 3),
        "non_2xx": sum(r.non_2xx for r in runs),
        "socket_errors": sum(r.socket_errors for r in runs),
        "cpu_percent_per_worker": [round(x, 1) for x in busiest],
        "cpu_percent_server_total": round(cpu_total, 1),
        # Keep-alive connections stay with the worker that accepted them, and one worker often
        # accepts all of wrk's at once: this says how many workers did the work in each run.
        "busy_workers_per_run": [sum(1 for x in c if x >= BUSY_PERCENT) for c in cpu],
        "server_cpu_ms_per_request": round(
            10 * cpu_total / per_second if per_second else float("nan"), 3
        ),
        "runs": [r.to_dict() for r in runs],
    }


def run_case(
    peers: list[Peer], rows: DemoRows, case: ServingCase, settings: ServingSettings, work: Path
) -> dict[str, Any]:
    difference = check_agreement(peers, rows, case)
    scripts: dict[str, Path] = {}
    sample = rows.take(case.rows)
    for peer in peers:
        item = payload(peer.kind, case.encoding, sample)
        body_file = work / f"{case.name}-{peer.kind}.body"
        body_file.write_bytes(item.body)
        scripts[peer.kind] = write_script(
            work / f"{case.name}-{peer.kind}.lua", body_file, item.content_type, item.accept
        )
        run_wrk(
            peer.server.url + "/invocations",
            scripts[peer.kind],
            settings.warmup_seconds,
            settings.connections,
        )
    loads: dict[str, list[LoadRun]] = {p.kind: [] for p in peers}
    cpus: dict[str, list[list[float]]] = {p.kind: [] for p in peers}
    for _ in range(settings.runs):
        for peer in peers:
            load, cpu = measure_run(peer, scripts[peer.kind], settings, settings.seconds)
            loads[peer.kind].append(load)
            cpus[peer.kind].append(cpu)
    result: dict[str, Any] = {
        "rows_per_request": case.rows,
        "max_probability_difference_vs_ours": difference,
        "peers": {
            kind: _summary(loads[kind], cpus[kind], case.rows, settings.workers) for kind in loads
        },
    }
    result["ratios"] = case_ratios(result["peers"])
    print_case(case, result)
    return result


def case_ratios(peers: dict[str, dict[str, Any]]) -> dict[str, float]:
    ours = peers["ours"]
    ratios = {
        "ours_over_bare_rps": ratio(
            ours["requests_per_second"], peers["bare"]["requests_per_second"]
        ),
    }
    if "bare-direct" in peers:
        ratios["ours_over_bare_direct_rps"] = ratio(
            ours["requests_per_second"], peers["bare-direct"]["requests_per_second"]
        )
    if "mlflow" in peers:
        ratios["ours_over_mlflow_rps"] = ratio(
            ours["requests_per_second"], peers["mlflow"]["requests_per_second"]
        )
        ratios["p99_ours_over_mlflow"] = ratio(ours["p99_ms"], peers["mlflow"]["p99_ms"])
    return {k: round(v, 3) for k, v in ratios.items()}


def ratio_line(case_name: str, ratios: dict[str, float]) -> str:
    parts = []
    if "ours_over_bare_direct_rps" in ratios:  # the floor first (issue 20)
        parts.append(f"ours/bare-direct req/s = {fmt(ratios['ours_over_bare_direct_rps'])}")
    if "ours_over_mlflow_rps" in ratios:
        parts.append(f"ours/mlflow req/s = {fmt(ratios['ours_over_mlflow_rps'], 1)}")
    parts.append(f"ours/bare req/s = {fmt(ratios['ours_over_bare_rps'])}")
    if "p99_ours_over_mlflow" in ratios:
        parts.append(f"p99 ours/mlflow = {fmt(ratios['p99_ours_over_mlflow'])}")
    return f"serving {case_name}: " + ", ".join(parts)


def print_case(case: ServingCase, result: dict[str, Any]) -> None:
    print(f"serving {case.name} ({case.rows} row(s)/request):")
    for kind, figures in result["peers"].items():
        print(
            f"  {kind:11} {fmt(figures['requests_per_second']):>8} req/s "
            f"{fmt(figures['rows_per_second']):>9} rows/s  p50 {figures['p50_ms']:.2f} ms  "
            f"p99 {figures['p99_ms']:.2f} ms  non-2xx {figures['non_2xx']}  "
            f"socket errors {figures['socket_errors']}  CPU/worker "
            f"{figures['cpu_percent_per_worker']} %  server CPU/request "
            f"{figures['server_cpu_ms_per_request']:.3f} ms"
        )
    print(ratio_line(case.name, result["ratios"]), flush=True)


def targets(cases: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Issue 6's serving targets, each with its measured value and whether it was met."""
    checks: dict[str, dict[str, Any]] = {}
    for name, result in cases.items():
        r = result["ratios"]
        single = result["rows_per_request"] == 1
        if "ours_over_mlflow_rps" in r:
            need = 10.0 if single else 5.0
            checks[f"{name} ours/mlflow req/s >= {need:g}"] = _check(
                r["ours_over_mlflow_rps"], need, True
            )
            checks[f"{name} p99 ours/mlflow <= 0.2"] = _check(r["p99_ours_over_mlflow"], 0.2, False)
        if "ours_over_bare_direct_rps" in r:  # issue 20: the floor, then the moonshot
            direct = r["ours_over_bare_direct_rps"]
            checks[f"{name} ours/bare-direct req/s >= 1.0"] = _check(direct, 1.0, True)
            if single:
                checks[f"{name} ours/bare-direct req/s >= 2.0 (moonshot)"] = _check(
                    direct, 2.0, True
                )
        checks[f"{name} ours/bare req/s >= 0.8"] = _check(r["ours_over_bare_rps"], 0.8, True)
        errors = sum(p["non_2xx"] + p["socket_errors"] for p in result["peers"].values())
        checks[f"{name} zero errors"] = {"value": errors, "target": 0, "met": errors == 0}
    return checks


def worker_rss_mb(peer: Peer) -> list[float]:
    """Resident memory (MB) of each process serving requests, largest first: the processes
    below the server's root (gunicorn's or uvicorn's workers), or the root if it has none."""
    pids = descendants(peer.server.pid) or [peer.server.pid]
    sizes = [rss_bytes(pid) / 2**20 for pid in pids]
    return sorted((round(size, 1) for size in sizes if size > 0), reverse=True)


def _check(value: float, target: float, at_least: bool) -> dict[str, Any]:
    met = value >= target if at_least else value <= target
    return {"value": value, "target": target, "met": bool(met)}


def run_serving(
    model_dir: Path, rows: DemoRows, settings: ServingSettings, work: Path
) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    with running_peers(model_dir, settings, work) as peers:
        processes = {p.kind: command_line(p.server.pid)[:200] for p in peers}
        after_load = {p.kind: worker_rss_mb(p) for p in peers}
        cases = {case.name: run_case(peers, rows, case, settings, work) for case in CASES}
        after_requests = {p.kind: worker_rss_mb(p) for p in peers}
    memory = {
        kind: {
            "after_load_mb": after_load[kind],
            "after_requests_mb": after_requests[kind],
            "requests": sum(
                run["requests"] for case in cases.values() for run in case["peers"][kind]["runs"]
            ),
        }
        for kind in after_load
    }
    return {
        "memory_per_worker": memory,
        "settings": settings.__dict__,
        "peer_commands": processes,
        "tcp_nodelay": "serve sets TCP_NODELAY itself; the bare server uses serve's worker class; "
        "MLflow's uvicorn workers get it from benchmarks/peer_nodelay/sitecustomize.py",
        "cases": cases,
        "targets": targets(cases),
    }
