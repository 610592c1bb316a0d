"""Sustained concurrent load on a real ``serve`` (issue 7): 8 client threads on keep-alive
connections send 6,000 requests (every input format, 1 to 20 rows, one request in ten a bad row
that must be a 400) to a 2-worker server on 127.0.0.1. Zero failed requests (every answer is
the expected status with the right number of predictions, no connection error), the same two
workers at the end (none crashed and was replaced), and no memory growth: each worker's VmRSS
after the last thousand requests is within a small tolerance of its VmRSS after the first
thousand (which warm every cache: lru caches, allocator arenas, model buffers).
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import numpy as np
import orjson
import pytest
from procfs import children, resident_kib, wait_for_children
from serve_helpers import BuiltBundle, ServerProcess, build_bundle

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability-load")]

CLIENTS = 8
TOTAL_REQUESTS = 6_000
WINDOW = 1_000  # "the first and last thousand requests"
# Allocator noise on a warmed-up worker is a few hundred KiB; a leak of even 1 KiB per request
# would be ~2 MiB per worker over the 4,000 requests between the two samples.
GROWTH_TOLERANCE_KIB = 1_536


@dataclass(frozen=True)
class Request:
    content_type: str
    body: bytes
    rows: int  # predictions expected; 0 = a bad row, a 400 expected


def request_mix(built: BuiltBundle) -> list[Request]:
    """A fixed cycle of requests, so every client sends every kind."""
    rows = built.raw_rows

    def csv_rows(count: int, start: int) -> bytes:
        return "".join(",".join(map(repr, r)) + "\n" for r in rows[start : start + count]).encode()

    def npy_rows(count: int, start: int) -> bytes:
        buffer = io.BytesIO()
        np.save(buffer, np.array(rows[start : start + count], dtype=np.float64))
        return buffer.getvalue()

    bad_row = ",".join(["oops", *map(repr, rows[0][1:])]).encode()
    mix = [
        Request("text/csv", csv_rows(1, 0), 1),
        Request("text/csv", csv_rows(20, 5), 20),
        Request("application/json", orjson.dumps({"instances": rows[10:13]}), 3),
        Request("application/jsonlines", b"\n".join(orjson.dumps(r) for r in rows[:7]), 7),
        Request("application/x-npy", npy_rows(1, 3), 1),
        Request("application/x-npy", npy_rows(16, 40), 16),
        Request("text/csv", csv_rows(1, 99), 1),
        Request("application/json", orjson.dumps({"instances": rows[200:201]}), 1),
        Request("text/csv", csv_rows(5, 300), 5),
        Request("text/csv", bad_row, 0),
    ]
    return mix


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BuiltBundle, ServerProcess]]:
    root = tmp_path_factory.mktemp("load")
    built = build_bundle(root / "model", "binary", "xgboost")
    process = ServerProcess(built.directory, root / "logs", workers=2).wait_ready()
    yield built, process
    assert process.stop() == 0


class LoadRun:
    """Hands out request numbers to the client threads and collects failures and the memory
    samples."""

    def __init__(self, workers: list[int]) -> None:
        self.workers = workers
        self.lock = threading.Lock()
        self.sent = 0
        self.failures: list[str] = []
        self.rss_marks: dict[int, dict[int, int]] = {}

    def next_index(self) -> int | None:
        with self.lock:
            if self.sent >= TOTAL_REQUESTS:
                return None
            self.sent += 1
            return self.sent - 1


def _client(url: str, mix: list[Request], run: LoadRun, done: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=30.0, trust_env=False) as client:
        while (index := run.next_index()) is not None:
            request = mix[index % len(mix)]
            try:
                response = client.post(
                    "/invocations",
                    content=request.body,
                    headers={"Content-Type": request.content_type},
                )
                problem = _check(response, request)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            with run.lock:
                if problem:
                    run.failures.append(problem)
                done[0] += 1
                finished = done[0]
            if finished == WINDOW:
                # Sample memory right after the first thousand (the others keep sending).
                run.rss_marks[WINDOW] = {pid: resident_kib(pid) for pid in run.workers}


def _check(response: httpx.Response, request: Request) -> str | None:
    if request.rows == 0:
        if response.status_code != 400 or "oops" not in response.json()["error"]["message"]:
            return f"bad row: {response.status_code} {response.text[:200]}"
        return None
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:200]}"
    predictions = response.json()["predictions"]
    if len(predictions) != request.rows:
        return f"{len(predictions)} predictions for {request.rows} rows"
    return None


def test_sustained_load_fails_nothing_and_grows_no_memory(
    server: tuple[BuiltBundle, ServerProcess],
) -> None:
    built, process = server
    workers = wait_for_children(process.process.pid, 2)
    run = LoadRun(workers)
    done = [0]
    mix = request_mix(built)
    threads = [
        threading.Thread(target=_client, args=(process.url, mix, run, done)) for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "the load did not finish in 300 s"
    run.rss_marks[TOTAL_REQUESTS] = {pid: resident_kib(pid) for pid in workers}

    assert done[0] == TOTAL_REQUESTS
    assert run.failures == [], run.failures[:5]
    assert children(process.process.pid) == workers, "a worker crashed and was replaced"
    first, last = run.rss_marks[WINDOW], run.rss_marks[TOTAL_REQUESTS]
    growth = {pid: last[pid] - first[pid] for pid in workers}
    print(
        f"load: {done[0]} requests from {CLIENTS} clients, {len(run.failures)} failures, "
        f"VmRSS KiB after {WINDOW}: {first}, after {TOTAL_REQUESTS}: {last}, growth {growth}"
    )
    assert max(growth.values()) <= GROWTH_TOLERANCE_KIB, growth
    assert httpx.get(f"{process.url}/ping", timeout=5).status_code == 200


def test_procfs_reads_this_process() -> None:
    """The memory figure is real: a 64 MiB allocation shows in VmRSS (so the load test's
    comparison can fail)."""
    before = resident_kib(os.getpid())
    block = np.ones(64 * 1024 * 1024 // 8)
    after = resident_kib(os.getpid())
    assert after - before > 60 * 1024
    del block
