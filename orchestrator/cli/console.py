"""Everything a command prints: results as a human table or summary by default, or as JSON for
``--output json`` (stable keys, for CI); progress as lines on stderr, so stdout stays
machine-readable while a command works.

The local runner reports step events (:class:`ProgressEvent`) as they happen; the flows report
plain lines (infrastructure, deploys, batch jobs). Both go through one :class:`ProgressPrinter`
so a run reads as one log with one clock.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # only annotations: `--help` does not import the backends
    from orchestrator.backends.local.progress import ProgressEvent


def print_json(data: Any, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned text table; empty input gives a header-only table."""
    cells = [[str(c) for c in columns]] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_pairs(pairs: Sequence[tuple[str, Any]]) -> str:
    """``key   value`` lines for a summary."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}" for k, v in pairs)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def say(message: str) -> None:
    """One line of progress on stderr, so ``--output json`` on stdout stays machine-readable."""
    print(message, file=sys.stderr, flush=True)


def show(output: str, data: Any, pairs: Sequence[tuple[str, Any]]) -> None:
    """``data`` as JSON for ``--output json``, else ``pairs`` as a summary."""
    if output == "json":
        print_json(data)
    else:
        print(format_pairs(pairs))


def show_table(output: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """``rows`` as JSON for ``--output json`` (every key), else ``columns`` of them as a table."""
    if output == "json":
        print_json(rows)
    else:
        print(format_table(rows, columns))


class ProgressPrinter:
    """Prints one line per pipeline event on a stream (stderr, so ``--output json`` stays clean)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()

    def __call__(self, event: ProgressEvent) -> None:
        line = self.describe(event)
        if line:
            self.note(line)

    @staticmethod
    def describe(event: ProgressEvent) -> str | None:
        step = f"{event.step or '':<18}"
        if event.kind == "step_started":
            return f"{step}started"
        if event.kind == "step_succeeded":
            return f"{step}succeeded {event.message}".rstrip()
        if event.kind == "step_cached":
            return f"{step}reused from cache (execution {event.cache_source})"
        if event.kind == "step_failed":
            return f"{step}FAILED: {event.message}"
        if event.kind == "trial_finished":
            result = f"objective {event.objective:.6g}" if event.objective is not None else "failed"
            return f"{step}trial {event.trial}/{event.trials}: {result}"
        if event.kind == "execution_finished":
            return f"execution {event.execution_id} {event.status}"
        return None

    def note(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stream.write(f"[{elapsed:6.1f}s] {message}\n")
        self.stream.flush()
