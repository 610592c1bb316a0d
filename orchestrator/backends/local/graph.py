"""Turns a definition's steps into a checked run order.

Steps nested in a Condition's ``IfSteps``/``ElseSteps`` are lifted out and remember their gate
(which condition, which outcome), so they run only when chosen. Order comes from three sources,
as in SageMaker: property references (``Get: Steps.X...``), ``DependsOn``, and the gate. Every
reference and dependency is checked before anything runs, so a definition with a typo fails in
milliseconds with a message naming the step, not after an hour of tuning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.resolve import EXECUTION_VARIABLES, references
from orchestrator.backends.local.steps import STEP_TABLE
from orchestrator.pipeline import step_types

DEFINITION_VERSION = "2020-12-01"


@dataclass(frozen=True)
class Gate:
    """A step inside a Condition branch runs only if ``condition`` had ``outcome``."""

    condition: str
    outcome: bool


@dataclass(frozen=True)
class PlannedStep:
    name: str
    type: str
    definition: dict[str, Any]
    gate: Gate | None
    depends_on: tuple[str, ...]


def plan_steps(definition: Mapping[str, Any]) -> list[PlannedStep]:
    """All steps (branch steps included) in a dependency-respecting order, definition order
    breaking ties so runs are reproducible."""
    if not isinstance(definition, Mapping):
        raise DefinitionError("the pipeline definition must be a JSON object")
    version = definition.get("Version")
    if version != DEFINITION_VERSION:
        raise DefinitionError(
            f"the pipeline definition has Version {version!r}; the local runner executes "
            f"definitions of format {DEFINITION_VERSION!r} (SageMaker's only format)"
        )
    raw_steps = definition.get("Steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DefinitionError("the pipeline definition has no Steps; add at least one step")
    flat: list[tuple[dict[str, Any], Gate | None]] = []
    _flatten(raw_steps, None, flat)

    names: list[str] = [step["Name"] for step, _ in flat]  # _flatten checked they are strings
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError(f"step names must be unique; repeated: {', '.join(duplicates)}")
    known = set(names)
    parameter_names = {str(p.get("Name")) for p in definition.get("Parameters") or []}

    planned: dict[str, PlannedStep] = {}
    for step, gate in flat:
        name, kind = step["Name"], step.get("Type")
        if kind not in STEP_TABLE:
            what = (
                "a SageMaker step type with no local executor"
                if step_types.get(str(kind))
                else "no SageMaker step type"
            )
            raise DefinitionError(
                f"step {name!r} has type {kind!r} ({what}), which the local runner does not "
                f"run; supported: {', '.join(STEP_TABLE)}"
            )
        needs = set(_check_references(step, known, parameter_names))
        for upstream in step.get("DependsOn") or []:
            if upstream not in known:
                raise DefinitionError(f"step {name!r} DependsOn unknown step {upstream!r}")
            needs.add(upstream)
        if gate:
            needs.add(gate.condition)
        if name in needs:
            raise DefinitionError(f"step {name!r} refers to its own properties")
        planned[name] = PlannedStep(name, kind, step, gate, tuple(sorted(needs)))
    return _topological(planned, names)


def _flatten(
    steps: list[Any], gate: Gate | None, out: list[tuple[dict[str, Any], Gate | None]]
) -> None:
    for step in steps:
        if not isinstance(step, Mapping) or not isinstance(step.get("Name"), str):
            raise DefinitionError(f"every step needs a Name and a Type; got {str(step)[:120]}")
        out.append((dict(step), gate))
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments") or {}
            _flatten(arguments.get("IfSteps") or [], Gate(step["Name"], True), out)
            _flatten(arguments.get("ElseSteps") or [], Gate(step["Name"], False), out)


def _check_references(step: dict[str, Any], known: set[str], parameters: set[str]) -> list[str]:
    """The upstream steps ``step`` reads from; raises on references to nothing."""
    name = step["Name"]
    arguments = dict(step.get("Arguments") or {})
    if step.get("Type") == "Condition":  # branch steps are checked as steps of their own
        arguments.pop("IfSteps", None)
        arguments.pop("ElseSteps", None)
    upstream = []
    for reference in references(arguments):
        namespace, _, rest = reference.partition(".")
        if namespace == "Parameters" and rest not in parameters:
            raise DefinitionError(
                f"the definition can't be resolved: step {name!r} reads parameter {rest!r}, "
                f"which the definition's Parameters don't declare (declared: "
                f"{', '.join(sorted(map(str, parameters))) or 'none'})"
            )
        elif namespace == "Execution" and rest not in EXECUTION_VARIABLES:
            raise DefinitionError(
                f"the definition can't be resolved: step {name!r} reads execution variable "
                f"{rest!r}; the local runner provides {', '.join(EXECUTION_VARIABLES)}"
            )
        elif namespace == "Steps":
            source = rest.split(".", 1)[0]
            if source not in known:
                raise DefinitionError(
                    f"the definition can't be resolved: step {name!r} reads {reference!r}, "
                    f"but there is no step {source!r}"
                )
            upstream.append(source)
        elif namespace not in ("Parameters", "Execution", "Steps"):
            raise DefinitionError(
                f"the definition can't be resolved: step {name!r} has reference {reference!r}; "
                "a Get reads Parameters.X, Execution.X or Steps.<name>.<property>"
            )
    return upstream


def _topological(steps: dict[str, PlannedStep], order: list[str]) -> list[PlannedStep]:
    done: list[PlannedStep] = []
    placed: set[str] = set()
    remaining = list(order)
    while remaining:
        ready = [n for n in remaining if all(d in placed for d in steps[n].depends_on)]
        if not ready:
            raise DefinitionError(
                f"the steps {', '.join(remaining)} depend on each other in a cycle; remove one "
                "of the references or DependsOn entries"
            )
        name = ready[0]
        done.append(steps[name])
        placed.add(name)
        remaining.remove(name)
    return done
