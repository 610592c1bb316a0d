"""Stops job processes a killed runner left behind.

A runner killed with SIGKILL can't stop its children; they keep running (and competing for the
cores) in the work directory of the dead execution. Every job is started with ``OPT_ML_ROOT``
inside that directory, which identifies it without a PID file that could go stale: on Linux the
process environment is readable in ``/proc``. Elsewhere this does nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from ml_containers.paths import ENV_ROOT


def stop_orphaned_jobs(work_dir: Path) -> list[int]:
    """SIGKILL every process of this user whose ``OPT_ML_ROOT`` lies inside ``work_dir``."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    prefix = f"{ENV_ROOT}={Path(work_dir).resolve()}".encode()
    stopped = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # another user's process, or already gone
        if any(v == prefix or v.startswith(prefix + b"/") for v in variables):
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                stopped.append(int(entry.name))
            except OSError:
                pass
    return stopped
