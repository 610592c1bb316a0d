"""The ``orchestrator`` command line: ``main`` is the console script's entry point."""

from orchestrator.cli.app import main

__all__ = ["main"]
