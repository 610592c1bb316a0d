"""Resident memory and CPU time of the local ``serve`` processes, read from ``/proc``.

psutil is not a dependency of the orchestrator (nor in its virtual environment), and Linux's
``/proc`` has all that is needed: ``VmRSS`` from ``status`` and ``utime + stime`` from ``stat``.
A serving process tree is found from this process: ``serve`` (gunicorn's master) is a child
of the command that started the local endpoint, started with ``--model-dir <dir>``, and its
workers are the master's children.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OperationFailed

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class ServeTree:
    """The master's pid, its workers' pids, and the model folder it serves."""

    master: int
    workers: tuple[int, ...]
    model_dir: Path


def _read(pid: int, name: str) -> str | None:
    try:
        return (PROC / str(pid) / name).read_text()
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str]:
    text = _read(pid, "stat")
    return text.rsplit(")", 1)[-1].split() if text else []


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else None


def children_of(pid: int) -> list[int]:
    pids = [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]
    return sorted(p for p in pids if parent_of(p) == pid)


def command_line(pid: int) -> list[str]:
    text = _read(pid, "cmdline")
    return [part for part in text.split("\0") if part] if text else []


def rss_bytes(pid: int) -> int:
    """The process's resident set (VmRSS), in bytes; 0 once it has gone."""
    for line in (_read(pid, "status") or "").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = _stat_fields(pid)
    if len(fields) < 13:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def serve_trees(parent: int | None = None) -> list[ServeTree]:
    """Every ``serve --model-dir`` child of ``parent`` (default: this process) and its workers."""
    if not PROC.is_dir():
        raise OperationFailed(
            "/proc is not available on this machine, so the serving workers' memory cannot be "
            "read; run `orchestrator recommend` on Linux"
        )
    trees = []
    for pid in children_of(parent if parent is not None else os.getpid()):
        argv = command_line(pid)
        if "--model-dir" not in argv or argv.index("--model-dir") + 1 >= len(argv):
            continue
        model_dir = Path(argv[argv.index("--model-dir") + 1])
        trees.append(ServeTree(pid, tuple(children_of(pid)), model_dir))
    return trees


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or the empty string."""
    for line in (_read_path(PROC / "cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return ""


def _read_path(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None
