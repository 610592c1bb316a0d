"""One module per command group. :func:`load` imports them in the order ``orchestrator --help``
lists the commands; each registers its commands with :data:`orchestrator.cli.registry.REGISTRY`
on import."""

from __future__ import annotations

import importlib

MODULES = (
    "run",
    "executions",
    "models",
    "endpoint",
    "endpoint_test",
    "recommend",
    "monitor",
    "logs",
    "batch",
    "schema",
    "render",
    "bootstrap",
    "infra",
    "image",
    "preflight",
    "pipeline",
    "deploy",
    "promote",
    "backup",
    "restore",
    "recover",
    "data",
    "ui",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"orchestrator.cli.commands.{name}")
