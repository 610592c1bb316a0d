"""Load from wrk: one Lua script per case sends a fixed POST body and, when the run ends,
prints one JSON line with the counts and latency percentiles wrk measured.

wrk is Debian's ``wrk`` package; the benchmark never installs system packages itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from .common import BenchmarkError

INSTALL_HINT = "install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again"
_MARK = "BENCH_JSON "
_LUA = """\
local file = assert(io.open([==[{body}]==], "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "{content_type}"
wrk.headers["Accept"] = "{accept}"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{mark}{{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchmarkError(f"the serving benchmark needs the load generator wrk; {INSTALL_HINT}")
    return path


@dataclass(frozen=True)
class LoadRun:
    """One wrk run. ``non_2xx`` are HTTP error answers; ``socket_errors`` connect/read/write
    failures and timeouts."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "requests_per_second": round(self.requests_per_second, 1)}


def write_script(
    path: Path, body_file: Path, content_type: str, accept: str = "application/json"
) -> Path:
    path.write_text(
        _LUA.format(body=body_file, content_type=content_type, accept=accept, mark=_MARK)
    )
    return path


def run_wrk(url: str, script: Path, seconds: float, connections: int, threads: int = 1) -> LoadRun:
    """POST to ``url`` for ``seconds`` with ``connections`` keep-alive connections."""
    command = [
        wrk_path(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith(_MARK)), None)
    if done.returncode != 0 or line is None:
        raise BenchmarkError(
            f"wrk failed (exit {done.returncode}) against {url}:\n{done.stderr or done.stdout}"
        )
    data = json.loads(line[len(_MARK) :])
    return LoadRun(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non_2xx=int(data["status"]),
        socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
    )
