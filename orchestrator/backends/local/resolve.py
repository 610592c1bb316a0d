"""Resolves the expressions of a pipeline definition (format 2020-12-01) to plain values.

A definition's arguments are JSON in which some values are expressions SageMaker evaluates at run
time: ``{"Get": "Parameters.X"}``, ``{"Get": "Execution.PipelineExecutionId"}``,
``{"Get": "Steps.<name>.<property path>"}``, ``{"Std:Join": ...}`` and ``{"Std:JsonGet": ...}``.
Step properties are the Describe* response of the job the step ran, so a property path such as
``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri`` (parsed by the pipeline's one parser,
the validator's too) is looked up generically: dotted names walk objects, ``[0]`` indexes lists
and ``['train']`` picks the list element whose ``...Name`` field equals ``train`` (how
SageMaker's property model addresses outputs, channels and metrics). Anything that can't be
resolved raises :class:`ResolutionError` naming the step, the argument and the reference, so a
wrong definition is reported instead of half-run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.pipeline import expressions as ex

# SageMaker's execution variables but the job names, which the local runner does not provide.
EXECUTION_VARIABLES = tuple(
    name for name in ex.EXECUTION_VARIABLES if name not in ("TrainingJobName", "ProcessingJobName")
)

# Fields that name list elements in SageMaker's API shapes, most specific first.
_NAME_FIELDS = ("OutputName", "InputName", "ChannelName", "MetricName", "Name")

_JSON_TOKEN = re.compile(r"""\.?([^.\[\]'"]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")


class ResolutionError(DefinitionError):
    """A reference in the definition has no value in this execution."""


def parse_json_path(path: str) -> list[str | int]:
    """Split a ``Std:JsonGet`` Path (``metrics.auc.value``, ``$.list[1]``) into
    ``["metrics", "auc", "value"]``; a leading ``$.`` is ignored. Keys may be any text, since the
    file is the step's own JSON (step property paths are parsed by
    :func:`orchestrator.pipeline.expressions.parse_property_path`)."""
    text = path[2:] if path.startswith("$.") else path
    tokens: list[str | int] = []
    position = 0
    while position < len(text):
        match = _JSON_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot parse the path {path!r} at character {position + 1}")
        name, index, single, double = match.groups()
        if index is not None:
            tokens.append(int(index))
        else:
            tokens.append(next(t for t in (name, single, double) if t is not None))
        position = match.end()
    if not tokens:
        raise ValueError(f"the path {path!r} is empty")
    return tokens


def lookup(document: Any, tokens: Sequence[ex.PathToken]) -> Any:
    """Follow ``tokens`` through nested dicts/lists; KeyError says which token had no value.

    A name (``Outputs['train']``, or plainly ``.train``) applied to a list picks the element
    whose ``...Name`` field has that value."""
    current = document
    for depth, token in enumerate(tokens):
        walked = ex.render_property_path(tokens[: depth + 1])
        name = token.name if isinstance(token, ex.Key) else token
        if isinstance(name, int):
            if not isinstance(current, list) or name >= len(current):
                raise KeyError(f"{walked}: no element {name}")
            current = current[name]
        elif isinstance(current, Mapping):
            if name not in current:
                keys = ", ".join(sorted(map(str, current))) or "none"
                raise KeyError(f"{walked}: no attribute {name!r} (available: {keys})")
            current = current[name]
        elif isinstance(current, list):
            current = _element_named(current, name, walked)
        else:
            before = ex.render_property_path(tokens[:depth])
            raise KeyError(f"{walked}: {before} is a value, not an object")
    return current


def _element_named(items: list[Any], name: str, walked: str) -> Any:
    for field_name in _NAME_FIELDS:
        for item in items:
            if isinstance(item, Mapping) and item.get(field_name) == name:
                return item
    raise KeyError(f"{walked}: no element named {name!r}")


@dataclass
class ResolutionContext:
    """What expressions can read during one execution."""

    parameters: dict[str, Any]
    execution: dict[str, Any]
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    property_files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    read_json: Callable[[str], Any] = lambda uri: None


class Resolver:
    """Turns a step's Arguments (or any definition value) into plain JSON."""

    def __init__(self, context: ResolutionContext) -> None:
        self.context = context

    def resolve(self, value: Any, step: str, where: str = "Arguments") -> Any:
        if isinstance(value, list):
            return [self.resolve(item, step, f"{where}[{i}]") for i, item in enumerate(value)]
        if not isinstance(value, Mapping):
            return value
        if set(value) == {"Get"}:
            return self._get(value["Get"], step, where)
        if set(value) == {"Std:Join"}:
            return self._join(value["Std:Join"], step, where)
        if set(value) == {"Std:JsonGet"}:
            return self._json_get(value["Std:JsonGet"], step, where)
        return {key: self.resolve(item, step, f"{where}.{key}") for key, item in value.items()}

    def _fail(self, step: str, where: str, reference: Any, why: str) -> ResolutionError:
        shown = reference if isinstance(reference, str) else json.dumps(reference)
        return ResolutionError(
            f"the definition can't be resolved: step {step!r}, argument {where}, reference "
            f"{shown}: {why}. Fix the reference in the pipeline definition (or the step that "
            "should produce it) and run again."
        )

    def _get(self, reference: Any, step: str, where: str) -> Any:
        if not isinstance(reference, str) or "." not in reference:
            raise self._fail(
                step,
                where,
                reference,
                "a Get needs 'Parameters.X', 'Execution.X' or 'Steps.<name>.<property>'",
            )
        namespace, _, rest = reference.partition(".")
        if namespace == "Parameters":
            if rest not in self.context.parameters:
                known = ", ".join(sorted(self.context.parameters)) or "none"
                raise self._fail(
                    step, where, reference, f"no parameter {rest!r} (defined: {known})"
                )
            return self.context.parameters[rest]
        if namespace == "Execution":
            if rest == "CurrentDateTime":
                return datetime.now(UTC).isoformat()
            if rest not in self.context.execution:
                raise self._fail(
                    step,
                    where,
                    reference,
                    f"unknown execution variable; use one of {', '.join(EXECUTION_VARIABLES)}",
                )
            return self.context.execution[rest]
        if namespace == "Steps":
            source, _, path = rest.partition(".")
            properties = self.context.properties.get(source)
            if properties is None:
                raise self._fail(
                    step,
                    where,
                    reference,
                    f"step {source!r} has not run in this "
                    "execution (unknown name, a branch not taken, or not upstream)",
                )
            if not path:
                raise self._fail(step, where, reference, "name a property of the step")
            if path.startswith("PropertyFiles."):
                raise self._fail(step, where, reference, "a property file is read with Std:JsonGet")
            try:
                return lookup(properties, ex.parse_property_path(path))
            except (KeyError, ValueError) as exc:
                raise self._fail(step, where, reference, _reason(exc)) from None
        raise self._fail(step, where, reference, f"unknown namespace {namespace!r}")

    def _join(self, spec: Any, step: str, where: str) -> str:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("Values"), list):
            raise self._fail(step, where, {"Std:Join": spec}, "Std:Join needs On and Values")
        separator = self.resolve(spec.get("On", ""), step, f"{where}.On")
        parts = []
        for i, item in enumerate(spec["Values"]):
            resolved = self.resolve(item, step, f"{where}.Values[{i}]")
            if isinstance(resolved, (dict, list)):
                raise self._fail(step, where, item, "Std:Join can only join primitive values")
            parts.append(_as_text(resolved))
        return str(separator).join(parts)

    def _json_get(self, spec: Any, step: str, where: str) -> Any:
        if not isinstance(spec, Mapping) or "PropertyFile" not in spec or "Path" not in spec:
            raise self._fail(step, where, {"Std:JsonGet": spec}, "needs PropertyFile and Path")
        file_ref = spec["PropertyFile"]
        reference = file_ref.get("Get") if isinstance(file_ref, Mapping) else None
        parts = reference.split(".") if isinstance(reference, str) else []
        if len(parts) != 4 or parts[0] != "Steps" or parts[2] != "PropertyFiles":
            raise self._fail(
                step,
                where,
                file_ref,
                "PropertyFile must be {'Get': 'Steps.<step>.PropertyFiles.<name>'}",
            )
        source, file_name = parts[1], parts[3]
        declared = {
            f.get("PropertyFileName"): f for f in self.context.property_files.get(source, [])
        }
        if file_name not in declared:
            raise self._fail(
                step,
                where,
                reference,
                f"step {source!r} declares no property file "
                f"{file_name!r} (declared: {', '.join(map(str, declared)) or 'none'})",
            )
        declaration = declared[file_name]
        output_uri = self._get(
            f"Steps.{source}.ProcessingOutputConfig.Outputs['{declaration.get('OutputName')}']"
            ".S3Output.S3Uri",
            step,
            where,
        )
        uri = f"{str(output_uri).rstrip('/')}/{declaration.get('FilePath', '')}"
        path = self.resolve(spec["Path"], step, f"{where}.Path")
        try:
            document = self.context.read_json(uri)
        except (OSError, ValueError) as exc:
            raise self._fail(step, where, reference, f"cannot read {uri} as JSON: {exc}") from None
        try:
            return lookup(document, parse_json_path(str(path)))
        except (KeyError, ValueError) as exc:
            raise self._fail(
                step, where, reference, f"{uri} has no value at {path!r}: {_reason(exc)}"
            ) from None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _reason(exc: Exception) -> str:
    """The message of a KeyError/ValueError without KeyError's added quotes."""
    return str(exc.args[0]) if exc.args else str(exc)
