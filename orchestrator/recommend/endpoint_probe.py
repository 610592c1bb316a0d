"""Measure the real local endpoint: the model served by ``serve`` answering held-out rows.

The version is deployed on the local backend's endpoint (``serve`` as SageMaker runs it, behind
the local endpoint's proxy), warmed up, then sent ``requests`` requests of
``rows_per_request`` held-out rows one after another. Latency is timed by the client (what a
caller sees, as ``endpoint-test`` times it); the server's CPU time per request and every serve
process's resident memory come from ``/proc``. Nothing is recorded in the deployment history:
the endpoint lives only as long as the command.
"""

from __future__ import annotations

import statistics
import time

from ml_containers.schema import DatasetSchema

from orchestrator.backends.base import Backend, Progress
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.backends.polling import PollSettings
from orchestrator.errors import OperationFailed
from orchestrator.heldout import package_held_out
from orchestrator.recommend import procfs
from orchestrator.recommend.measurements import MIB, EndpointMeasurement

WARM_UP_REQUESTS = 10


def held_out_rows(backend: Backend, package: ModelPackage, schema: DatasetSchema) -> list[str]:
    """The version's held-out rows (Preprocess's ``batch.csv``, or its parts from several
    preprocessing hosts) without their ID columns."""
    features, _ = package_held_out(backend, package, schema)
    rows = [r for r in features if r]
    if not rows:
        raise OperationFailed(
            f"{package.metadata['test_data']} holds no held-out rows; the held-out set is damaged"
        )
    return rows


def bodies(rows: list[str], per_request: int, count: int) -> list[bytes]:
    """``count`` CSV bodies of ``per_request`` rows each, cycling through ``rows``."""
    out = []
    for i in range(count):
        start = (i * per_request) % len(rows)
        chunk = [rows[(start + j) % len(rows)] for j in range(per_request)]
        out.append(("\n".join(chunk) + "\n").encode())
    return out


def measure(
    backend: Backend,
    package: ModelPackage,
    rows: list[str],
    *,
    requests: int,
    rows_per_request: int,
    poll: PollSettings,
    progress: Progress,
) -> EndpointMeasurement:
    """Deploy ``package`` locally and measure it (see the module's docstring)."""
    backend.endpoints.deploy(package, poll, progress)
    trees = procfs.serve_trees()
    if len(trees) != 1 or not trees[0].workers:
        raise OperationFailed(
            f"expected one serve process with workers under this command, found {len(trees)}; "
            "cannot tell which processes serve the model"
        )
    tree = trees[0]
    for body in bodies(rows, rows_per_request, WARM_UP_REQUESTS):
        _ask(backend, body)
    pids = (tree.master, *tree.workers)
    cpu_before = sum(procfs.cpu_seconds(p) for p in pids)
    progress(f"measuring {requests} requests of {rows_per_request} held-out row(s)")
    latencies = [_ask(backend, body) for body in bodies(rows, rows_per_request, requests)]
    cpu_ms = (sum(procfs.cpu_seconds(p) for p in pids) - cpu_before) * 1000
    ticks_resolved = cpu_ms >= 10 * 1000 / procfs.CLOCK_TICKS
    ordered = sorted(latencies)
    return EndpointMeasurement(
        model=f"{package.group} v{package.version}",
        requests=requests,
        rows_per_request=rows_per_request,
        latency_p50_ms=round(statistics.median(ordered), 3),
        latency_p99_ms=round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3),
        latency_mean_ms=round(statistics.fmean(ordered), 3),
        server_cpu_ms_per_request=round(cpu_ms / requests, 4) if ticks_resolved else None,
        workers=len(tree.workers),
        worker_rss_mib=tuple(round(procfs.rss_bytes(p) / MIB, 1) for p in tree.workers),
        master_rss_mib=round(procfs.rss_bytes(tree.master) / MIB, 1),
        model_mib=round(procfs.folder_bytes(tree.model_dir) / MIB, 3),
    )


def _ask(backend: Backend, body: bytes) -> float:
    began = time.perf_counter()
    answer = backend.endpoints.invoke(body, "text/csv", "application/json")
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200:
        raise OperationFailed(f"the endpoint answered {answer.status_code}: {answer.body!r}")
    return elapsed
