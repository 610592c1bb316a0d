"""``--set KEY=VALUE``: one run's change to the environment file's settings, checked like the file.

A key is a dotted path into the file (``pipeline.training.instance_count``); the pipeline's job
sections also answer to short names (``training.instance_count``,
``preprocessing.instance_count`` for the processing jobs, ``tuning.max_jobs``). A value is read
as YAML, as the file's own values are (``2`` is a number, ``true`` a boolean, ``[a, b]`` a list).
The file is checked on its own first, so its mistakes are named as the file's; then with the
overrides, so a mistake there (an unknown key, a value out of range) is named as ``--set``'s.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError

# Short names for the pipeline's sections: what people call the jobs.
SHORT_SECTIONS = {
    "training": "pipeline.training",
    "processing": "pipeline.processing",
    "preprocessing": "pipeline.processing",  # the processing jobs' instances (preprocess, evaluate)
    "preprocess": "pipeline.preprocess",
    "tuning": "pipeline.tuning",
    "caching": "pipeline.caching",
    "retry": "pipeline.retry",
}


@dataclass(frozen=True)
class EnvironmentSource:
    """Where environment files are (``--environments-dir``) and the ``--set`` overrides."""

    directory: Path | None = None
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    text: str  # as given, for messages
    path: tuple[str, ...]  # the full dotted path in the file
    value: Any


def parse_override(text: str) -> Override:
    """``KEY=VALUE`` -> an Override; ConfigError naming the problem and the form."""
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key or any(not part for part in key.split(".")):
        raise ConfigError(
            f"--set {text!r} is not KEY=VALUE; write e.g. --set training.instance_count=2 "
            "(KEY is a dotted path into the environment file)"
        )
    first, _, rest = key.partition(".")
    full = f"{SHORT_SECTIONS[first]}.{rest}" if first in SHORT_SECTIONS and rest else key
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"--set {text!r}: the value is not valid YAML ({getattr(exc, 'problem', exc)}); "
            "quote it, e.g. --set 'pipeline.name=\"x\"'"
        ) from None
    return Override(text, tuple(full.split(".")), value)


def apply_overrides(data: dict[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    """A copy of the file's mapping with each override set (sections created as needed)."""
    result = copy.deepcopy(data)
    for override in overrides:
        node = result
        for depth, part in enumerate(override.path[:-1]):
            child = node.setdefault(part, {})
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(override.path[: depth + 1])
                raise ConfigError(
                    f"--set {override.text}: {where} is a value ({child!r}), not a section, so it "
                    f"has no key {override.path[depth + 1]!r}; set {where} itself"
                )
            node = child
        node[override.path[-1]] = override.value
    return result


def describe_override_error(overrides: Sequence[Override], problems: list[tuple[str, str]]) -> str:
    """One paragraph naming each ``--set`` that caused a problem (``problems``: (dotted key,
    message) pairs from validating the file with the overrides)."""
    lines = []
    for key, message in problems:
        parts = tuple(key.split("."))
        culprits = [
            o for o in overrides if parts[: len(o.path)] == o.path or o.path[: len(parts)] == parts
        ]
        named = " ".join(f"--set {o.text}" for o in culprits) or "--set"
        lines.append(f"{named}: {key}: {message}")
    return (
        "; ".join(lines)
        + ". Fix the key or the value (keys: environments/README.md; a short section name "
        + f"stands for pipeline.<section>: {', '.join(sorted(SHORT_SECTIONS))})."
    )
