"""How a container program fails: one paragraph a person can act on, in the file SageMaker shows.

SageMaker reports the contents of ``/opt/ml/output/failure`` (training) or
``/opt/ml/output/message`` (processing) as the job's FailureReason / ExitMessage, so a user
mistake must end up there as a plain sentence, never as a traceback; a bug still gets its
exception text there (and its traceback on stderr, for whoever debugs it).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

# SageMaker truncates FailureReason at 1024 characters; keep the message's start, which says why.
MAX_REASON_CHARS = 1000


class JobFailure(Exception):
    """A failure caused by the job's inputs or configuration; its message is the whole story."""


def write_reason(reason: str, failure_path: Path) -> None:
    """Write ``reason`` to stderr and to ``failure_path`` (best effort: a read-only output dir
    must not hide the reason from stderr)."""
    reason = " ".join(reason.split())[:MAX_REASON_CHARS]
    print(reason, file=sys.stderr, flush=True)
    try:
        failure_path.parent.mkdir(parents=True, exist_ok=True)
        failure_path.write_text(reason + "\n")
    except OSError as exc:
        print(f"(could not write {failure_path}: {exc})", file=sys.stderr, flush=True)


def run_job(program: str, body: Callable[[], None], failure_path: Callable[[], Path]) -> int:
    """Run ``body``; return 0 on success, 1 after recording why it failed.

    ``failure_path`` is called only on failure so that ``OPT_ML_ROOT`` is read at that moment.
    """
    try:
        body()
    except JobFailure as exc:
        write_reason(f"{program} failed: {exc}", failure_path())
        return 1
    except KeyboardInterrupt:
        write_reason(f"{program} was interrupted before it finished", failure_path())
        return 1
    except Exception as exc:  # a bug, not a user mistake: keep the traceback on stderr
        traceback.print_exc(file=sys.stderr)
        write_reason(
            f"{program} failed with an unexpected error ({type(exc).__name__}: {exc}); this is a "
            "bug in the container, not in your inputs: report it with the job's logs",
            failure_path(),
        )
        return 1
    return 0
