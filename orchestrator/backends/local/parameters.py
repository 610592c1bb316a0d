"""Pipeline parameters: the definition's declarations merged with the values a run passes.

SageMaker refuses an execution with an unknown parameter name or a value of the wrong type; doing
the same here keeps local runs honest about what production will accept. Values are coerced to
the declared type (String, Integer, Float, Boolean) so conditions and Std:Join see the same
Python types whether a value came from the definition's default or from the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.backends.local.errors import ParameterError

_TYPES = ("String", "Integer", "Float", "Boolean")


def resolve_parameters(definition: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    declared = {p.get("Name"): p for p in definition.get("Parameters") or []}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParameterError(
            f"unknown pipeline parameter(s) {', '.join(unknown)}; the definition declares "
            f"{', '.join(sorted(map(str, declared))) or 'none'}"
        )
    values: dict[str, Any] = {}
    for name, declaration in declared.items():
        kind = declaration.get("Type", "String")
        if kind not in _TYPES:
            raise ParameterError(f"parameter {name!r} has unknown Type {kind!r}; use {_TYPES}")
        if name in given:
            raw = given[name]
        elif "DefaultValue" in declaration:
            raw = declaration["DefaultValue"]
        else:
            raise ParameterError(f"parameter {name!r} has no default; pass a value for it")
        values[name] = _coerce(name, kind, raw)
        allowed = declaration.get("EnumValues")
        if allowed and values[name] not in allowed:
            raise ParameterError(f"parameter {name!r} must be one of {allowed}, got {raw!r}")
    return values


def _coerce(name: str, kind: str, raw: Any) -> Any:
    try:
        if kind == "String":
            if isinstance(raw, (dict, list)):
                raise ValueError
            return str(raw)
        if kind == "Integer":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(raw)
        if kind == "Float":
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError
    except (TypeError, ValueError):
        raise ParameterError(
            f"parameter {name!r} is declared {kind} but got {raw!r}; pass a {kind.lower()} value"
        ) from None
