"""Errors the local runner raises to its caller.

Two families, because the CLI treats them differently: :class:`RunnerInputError` means the
request itself is wrong (a definition that can't be resolved, an unknown parameter, an unknown
execution) and maps to exit code 2; a step that fails while running is *not* an exception but a
Failed execution, exactly as in SageMaker.
"""

from __future__ import annotations

from orchestrator.backends.base import UnknownExecution


class RunnerInputError(ValueError):
    """The caller asked for something the runner cannot do; the message says what to fix."""


class DefinitionError(RunnerInputError):
    """The pipeline definition can't be resolved or uses something the local runner lacks."""

    def __init__(self, message: str, *, execution_id: str | None = None) -> None:
        super().__init__(message)
        self.execution_id = execution_id


class ParameterError(RunnerInputError):
    """A pipeline parameter passed to ``start`` is unknown, missing or of the wrong type."""


class UnknownExecutionError(RunnerInputError, UnknownExecution):
    """``describe`` was asked for an execution id that has no record.

    It is also the protocol's :class:`UnknownExecution`, so flows that only know the protocol
    catch it as raised, without the pipeline-runner adapter translating it.
    """


class ArtifactError(ValueError):
    """An ``s3://`` URI is malformed or names nothing in the local artifact store."""


class StepFailed(Exception):
    """A step's job failed; ``reason`` becomes the step's (and the execution's) FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
