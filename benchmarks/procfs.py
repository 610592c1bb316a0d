"""CPU time, peak memory and process trees read from /proc (Linux): no psutil needed, and it
sees every worker a server forks, whoever started it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far; None once it has exited."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    pending = [root]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def rss_bytes(pid: int) -> int:
    """The process's resident set now (VmRSS); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss_bytes(pid: int) -> int:
    """The process's high-water resident set (VmHWM); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds of every process in a tree at one moment."""

    seconds: dict[int, float]

    @classmethod
    def of_tree(cls, root: int) -> CpuSample:
        seconds = {}
        for pid in [root, *descendants(root)]:
            value = cpu_seconds(pid)
            if value is not None:
                seconds[pid] = value
        return cls(seconds)


def cpu_percent_by_process(before: CpuSample, after: CpuSample, wall: float) -> dict[int, float]:
    """Percent of one core each process used between two samples (new processes from 0)."""
    return {
        pid: 100.0 * (value - before.seconds.get(pid, 0.0)) / wall
        for pid, value in after.seconds.items()
    }
