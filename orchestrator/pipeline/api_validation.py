"""Check every step's Arguments against botocore's model of the API the step stands for.

A definition is accepted by CreatePipeline long before its jobs are created, so a typo'd key or a
wrong type would otherwise surface only when the execution reaches that step. Here the Arguments
are made concrete the way SageMaker will make them at run time, then handed to botocore's own
``ParamValidator`` on the operation's input shape:

- ``Get Parameters.X`` becomes the parameter's default value, after checking that the
  parameter's type fits the field (a String parameter cannot stand for an integer);
- other expressions (execution variables, step properties, ``Std:Join``, ``Std:JsonGet``) become
  a placeholder of the type the field expects, after checking the expression can produce it
  (a Join is always a string; a step property has the type of its Describe* response field);
- the names SageMaker fills itself (job names) are added.

botocore checks required members, unknown members, types and minimums; it does not check enums,
so literal values of enum fields are checked here too.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape, StructureShape
from botocore.validate import ParamValidator

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline.service_model import (
    PropertyPathError,
    has_api,
    property_shape,
    request_shape,
    step_api,
)
from orchestrator.pipeline.step_graph import flatten_steps

_SCALAR_KIND = {
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "float": "float",
    "double": "float",
    "boolean": "boolean",
    "timestamp": "timestamp",
}
_PARAMETER_KIND = {"String": "string", "Integer": "integer", "Float": "float", "Boolean": "boolean"}


def _kind(shape: Shape) -> str:
    return str(_SCALAR_KIND.get(shape.type_name, shape.type_name))


def _fits(produced: str, expected: str) -> bool:
    return produced == expected or (produced == "integer" and expected == "float")


class _Concretizer:
    """Replaces expressions in one step's Arguments, collecting type problems on the way."""

    def __init__(
        self,
        where: str,
        parameters: dict[str, dict[str, Any]],
        step_types: dict[str, str],
    ) -> None:
        self.where = where
        self.parameters = parameters
        self.step_types = step_types
        self.problems: list[str] = []

    def concrete(self, value: Any, shape: Shape, path: str) -> Any:
        if ex.is_expression(value):
            return self._substitute(value, shape, path)
        if isinstance(shape, StructureShape) and isinstance(value, dict):
            return {
                key: self.concrete(item, shape.members[key], f"{path}.{key}")
                if key in shape.members
                else item
                for key, item in value.items()
            }
        if shape.type_name == "list" and isinstance(value, list):
            member = shape.member
            return [self.concrete(item, member, f"{path}[{i}]") for i, item in enumerate(value)]
        if shape.type_name == "map" and isinstance(value, dict):
            member = shape.value
            return {
                key: self.concrete(item, member, f"{path}.{key}") for key, item in value.items()
            }
        enum = getattr(shape, "enum", None)
        if enum and isinstance(value, str) and value not in enum:
            self._problem(path, f"{value!r} is not one of {_preview(enum)}")
        return value

    def _substitute(self, expression: dict[str, Any], shape: Shape, path: str) -> Any:
        expected = _kind(shape)
        if expected not in _PARAMETER_KIND.values():
            self._problem(path, f"an expression cannot stand for {_a(shape.type_name)} field")
            return expression
        key, body = next(iter(expression.items()))
        produced, value = "any", None
        if key == "Std:Join":
            produced = "string"
        elif key == "Get" and isinstance(body, str):
            produced, value = self._get(body, shape, path)
        if produced not in ("any", "unknown") and not _fits(produced, expected):
            self._problem(
                path,
                f"{_describe(expression)} yields {_a(produced)}, "
                f"but the field takes {_a(expected)}",
            )
        return value if value is not None else _placeholder(shape)

    def _get(self, target: str, shape: Shape, path: str) -> tuple[str, Any]:
        namespace, _, rest = target.partition(".")
        if namespace == "Parameters":
            declared = self.parameters.get(rest)
            if declared is None:
                return "unknown", None  # reported by the structure check
            produced = _PARAMETER_KIND.get(str(declared.get("Type")), "unknown")
            default = declared.get("DefaultValue")
            enum = getattr(shape, "enum", None)
            if enum and isinstance(default, str) and default not in enum:
                self._problem(
                    path, f"parameter {rest!r} defaults to {default!r}, not one of {_preview(enum)}"
                )
            fits = produced != "unknown" and _fits(produced, _kind(shape))
            return produced, default if fits else None
        if namespace == "Execution":
            return "string", None
        if namespace == "Steps":
            step, _, property_path = rest.partition(".")
            step_type = self.step_types.get(step)
            if step_type is None or property_path.startswith("PropertyFiles."):
                return "unknown", None
            try:
                leaf = property_shape(step_type, property_path)
            except PropertyPathError:
                return "unknown", None  # reported by the structure check
            return ("boolean" if leaf is None else _kind(leaf)), None
        return "unknown", None

    def _problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.where}: {path}: {message}")


def _placeholder(shape: Shape) -> Any:
    kind = _kind(shape)
    minimum = shape.metadata.get("min", 0)
    if kind == "integer":
        return max(int(minimum), 1)
    if kind == "float":
        return float(minimum)
    if kind == "boolean":
        return False
    enum = getattr(shape, "enum", None)
    if enum:
        return enum[0]
    if "s3" in str(shape.metadata.get("pattern", "")):
        return "s3://placeholder-bucket/placeholder-key"
    text = "placeholder"
    return text + "x" * max(0, int(minimum) - len(text))


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _describe(expression: dict[str, Any]) -> str:
    key, body = next(iter(expression.items()))
    return f"Get {body}" if key == "Get" else key


def _preview(values: list[str]) -> str:
    shown = ", ".join(values[:8])
    return f"[{shown}{', ...' if len(values) > 8 else ''}]"


def validate_step_arguments(
    step_name: str,
    step_type: str,
    arguments: dict[str, Any],
    parameters: dict[str, dict[str, Any]],
    step_types: dict[str, str],
) -> list[str]:
    """Problems of one step's Arguments against its API's request shape (empty when valid)."""
    api = step_api(step_type)
    where = f"step {step_name!r} ({api.operation})"
    shape = request_shape(step_type)
    problems = [
        f"{where}: {name} is set by SageMaker for each execution; remove it from Arguments"
        for name in api.filled_by_sagemaker
        if name in arguments
    ]
    concretizer = _Concretizer(where, parameters, step_types)
    concrete = concretizer.concrete(arguments, shape, "Arguments")
    problems += concretizer.problems
    request = dict(concrete)
    for name in api.filled_by_sagemaker:
        request[name] = _placeholder(shape.members[name])
    report = ParamValidator().validate(request, shape)
    if report.has_errors():
        problems += [f"{where}: {line}" for line in report.generate_report().splitlines() if line]
    return problems


def validate_api_arguments(document: dict[str, Any]) -> list[str]:
    """Problems of every API-backed step's Arguments in ``document``."""
    parameters = {
        p["Name"]: p
        for p in document.get("Parameters", []) or []
        if isinstance(p, dict) and isinstance(p.get("Name"), str)
    }
    infos = flatten_steps(document)
    step_types = {info.name: info.type for info in infos}
    problems: list[str] = []
    for info in infos:
        arguments = info.body.get("Arguments")
        if has_api(info.type) and isinstance(arguments, dict):
            problems += validate_step_arguments(
                info.name, info.type, arguments, parameters, step_types
            )
    return problems
