"""The one exception preprocessing raises for bad inputs, and how a failure is reported."""

from __future__ import annotations

import sys

from .. import paths


class PreprocessError(RuntimeError):
    """Input data, schema or settings make the job impossible; the message says what to fix."""


def report_failure(message: str) -> None:
    """Tell SageMaker (and a local runner) why the job failed: one line on stderr and in
    ``/opt/ml/output/message``, which a processing job shows as its ExitMessage."""
    line = " ".join(message.split())
    print(f"preprocess: error: {line}", file=sys.stderr)
    try:
        target = paths.output_dir() / "message"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(line + "\n")
    except OSError as exc:  # the reason still reached stderr
        print(
            f"preprocess: could not write {paths.output_dir() / 'message'}: {exc}", file=sys.stderr
        )
