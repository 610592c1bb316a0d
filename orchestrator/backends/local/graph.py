"""Turns a definition's steps into a checked run order.

The steps, where they sit and what they need come from the pipeline package's step graph
(:mod:`orchestrator.pipeline.step_graph`), the model the validator checks too: steps nested in a
branch are lifted out and remember their gate (which condition, which branch), so they run only
when chosen, and order comes from property references, ``DependsOn`` and the gate, as in
SageMaker. Every reference, dependency and step type is checked here before anything runs, so a
definition with a typo fails in milliseconds with a message naming the step, not after an hour of
tuning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.executors import executor_for
from orchestrator.backends.local.resolve import EXECUTION_VARIABLES
from orchestrator.backends.local.steps import StepExecutor
from orchestrator.pipeline.names import DEFINITION_VERSION
from orchestrator.pipeline.step_graph import DependencyCycle, StepInfo, run_order, walk_steps


@dataclass(frozen=True)
class Gate:
    """A step inside a branch runs only if ``condition`` took ``branch`` (e.g. IfSteps)."""

    condition: str
    branch: str


@dataclass(frozen=True)
class PlannedStep:
    info: StepInfo
    executor: StepExecutor
    depends_on: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def type(self) -> str:
        return self.info.type

    @property
    def definition(self) -> dict[str, Any]:
        return self.info.body

    @property
    def gate(self) -> Gate | None:
        """The innermost branch holding the step (the outer ones gate that condition)."""
        return Gate(*self.info.branches[-1]) if self.info.branches else None


def plan_steps(definition: Mapping[str, Any]) -> list[PlannedStep]:
    """All steps (branch steps included) in a dependency-respecting order, definition order
    breaking ties so runs are reproducible."""
    infos = _steps(definition)
    names = [info.name for info in infos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DefinitionError(f"step names must be unique; repeated: {', '.join(duplicates)}")
    known = set(names)
    parameter_names = {str(p.get("Name")) for p in definition.get("Parameters") or []}
    planned: dict[str, PlannedStep] = {}
    for info in infos:
        executor = executor_for(info.type, info.name)
        _check_references(info, known, parameter_names)
        _check_depends_on(info, known)
        needs = info.upstream()
        if info.name in needs or any(r.step_name == info.name for r in info.references):
            raise DefinitionError(f"step {info.name!r} refers to its own properties")
        planned[info.name] = PlannedStep(info, executor, tuple(sorted(needs)))
    try:
        order = run_order({name: step.depends_on for name, step in planned.items()}, names)
    except DependencyCycle as cycle:
        raise DefinitionError(
            f"the steps {', '.join(cycle.steps)} depend on each other in a cycle; remove one "
            "of the references or DependsOn entries"
        ) from None
    return [planned[name] for name in order]


def _steps(definition: Mapping[str, Any]) -> list[StepInfo]:
    """The definition's steps, refused unless it is a runnable 2020-12-01 document."""
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
    walk = walk_steps(definition)
    unnamed = [step for _, step in walk.malformed]
    unnamed += [info.body for info in walk.steps if not isinstance(info.body.get("Name"), str)]
    if unnamed:
        raise DefinitionError(f"every step needs a Name and a Type; got {str(unnamed[0])[:120]}")
    return walk.steps


def _check_depends_on(info: StepInfo, known: set[str]) -> None:
    depends_on = info.body.get("DependsOn") or []
    if not isinstance(depends_on, list) or len(info.declared_dependencies) != len(depends_on):
        raise DefinitionError(f"step {info.name!r}: DependsOn must be a list of step names")
    for upstream in depends_on:
        if upstream not in known:
            raise DefinitionError(f"step {info.name!r} DependsOn unknown step {upstream!r}")


def _check_references(info: StepInfo, known: set[str], parameters: set[str]) -> None:
    """Raises on the first reference to nothing: an undeclared parameter, an execution variable
    the local runner lacks, a step that does not exist or an unknown namespace."""
    name = info.name
    for reference in info.references:
        namespace, _, rest = reference.target.partition(".")
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
        elif namespace == "Steps" and reference.step_name not in known:
            raise DefinitionError(
                f"the definition can't be resolved: step {name!r} reads {reference.target!r}, "
                f"but there is no step {reference.step_name!r}"
            )
        elif namespace not in ("Parameters", "Execution", "Steps"):
            raise DefinitionError(
                f"the definition can't be resolved: step {name!r} has reference "
                f"{reference.target!r}; a Get reads Parameters.X, Execution.X or "
                "Steps.<name>.<property>"
            )
