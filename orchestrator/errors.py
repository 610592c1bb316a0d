"""The error type every user mistake becomes, so the CLI can print one paragraph and exit 2.

Anything raised as :class:`UserError` (or a subclass) is a problem the user can fix: a bad flag,
environment file, dataset or definition. Its message names the problem and the fix. Everything
else is a bug and is reported as such.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` says what and how."""

    exit_code = 2


class OperationFailed(Exception):
    """Work that was asked for correctly failed or did not finish (a job, a deploy, a wait);
    the CLI exits 1 with the message."""

    exit_code = 1


class TransientFailure(OperationFailed):
    """A service answered "not now" (throttling, a 5xx) after the client's own retries: not the
    user's mistake (exit 1), and a wait in progress tries again instead of giving up."""


class ConfigError(UserError):
    """An environment file is missing, malformed or holds a value that is not allowed."""
