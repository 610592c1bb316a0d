"""Process facts from /proc (Linux): the worker processes of a server and their resident memory,
read the way the kernel reports them, so memory figures need no extra package."""

from __future__ import annotations

import time
from pathlib import Path

PROC = Path("/proc")


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (gunicorn's workers, for the arbiter's pid)."""
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # pid (comm) state ppid ...: comm may hold spaces or parentheses, so split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def resident_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line (a kernel thread or a zombie?)")


def wait_for_children(pid: int, count: int, timeout: float = 30.0) -> list[int]:
    """The children of ``pid`` once there are ``count`` of them: gunicorn forks its workers one
    by one, and the first can answer ``/ping`` before the last exists."""
    deadline = time.monotonic() + timeout
    while True:
        found = children(pid)
        if len(found) == count or time.monotonic() > deadline:
            if len(found) != count:
                raise RuntimeError(f"process {pid} has {len(found)} children, expected {count}")
            return found
        time.sleep(0.05)
