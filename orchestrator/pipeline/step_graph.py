"""The steps of a definition as a graph: where each step sits, what it reads, what it needs.

One model for everyone who walks a definition's steps: the validator checks it, the API check
reads each step's Arguments from it, and the local runner plans its run order from it. Steps
nested in a branch (a Condition's IfSteps/ElseSteps, or any registered type's branches) are
lifted out and remember the branches they sit in; a step needs (runs after) the steps named in
its ``DependsOn``, the steps whose properties its own arguments read, and the conditions whose
branches hold it, as in SageMaker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import step_types


@dataclass(frozen=True)
class StepInfo:
    """One step wherever it sits (top level or inside a branch)."""

    name: str
    type: str
    body: dict[str, Any]
    location: str  # its JSON path in the definition, e.g. Steps[3].Arguments.IfSteps[0]
    # (enclosing step's name, branch key) for each enclosing branch, outermost first.
    branches: tuple[tuple[str, str], ...] = ()

    @property
    def arguments(self) -> dict[str, Any]:
        """The step's Arguments ({} when they are missing or not an object)."""
        arguments = self.body.get("Arguments")
        return arguments if isinstance(arguments, dict) else {}

    @property
    def own_arguments(self) -> dict[str, Any]:
        """The Arguments that hold this step's own references (not its nested steps')."""
        kind = step_types.get(self.type)
        return kind.own_arguments(self.arguments) if kind else self.arguments

    @cached_property
    def references(self) -> tuple[ex.Reference, ...]:
        """Every ``Get`` in the step's own arguments, in document order."""
        return tuple(ex.iter_references(self.own_arguments, "Arguments"))

    @property
    def declared_dependencies(self) -> tuple[str, ...]:
        """``DependsOn`` (empty when it is missing or not a list of names)."""
        depends_on = self.body.get("DependsOn") or []
        if isinstance(depends_on, list) and all(isinstance(d, str) for d in depends_on):
            return tuple(depends_on)
        return ()

    @property
    def conditions(self) -> tuple[str, ...]:
        """The steps whose branches hold this one, outermost first."""
        return tuple(condition for condition, _side in self.branches)

    def upstream(self) -> set[str]:
        """The steps this one needs: DependsOn, the steps it reads properties of (itself
        excluded: that is a mistake, not an edge) and its enclosing conditions."""
        read = {r.step_name for r in self.references if r.namespace == "Steps"}
        return {*self.declared_dependencies, *(read - {self.name}), *self.conditions}


@dataclass(frozen=True)
class StepWalk:
    """Every step object of a definition, and every item of a step list that is not one."""

    steps: list[StepInfo]
    malformed: list[tuple[str, Any]]  # (location, item)


def walk_steps(document: Mapping[str, Any]) -> StepWalk:
    """All steps in document order, each followed by the steps of its branches."""
    steps: list[StepInfo] = []
    malformed: list[tuple[str, Any]] = []

    def visit(items: Any, location: str, branches: tuple[tuple[str, str], ...]) -> None:
        if not isinstance(items, list):
            return
        for index, step in enumerate(items):
            where = f"{location}[{index}]"
            if not isinstance(step, dict):
                malformed.append((where, step))
                continue
            info = StepInfo(
                str(step.get("Name", "")), str(step.get("Type", "")), step, where, branches
            )
            steps.append(info)
            kind = step_types.get(info.type)
            for side in kind.branches if kind else ():
                visit(
                    info.arguments.get(side),
                    f"{where}.Arguments.{side}",
                    (*branches, (info.name, side)),
                )

    visit(document.get("Steps"), "Steps", ())
    return StepWalk(steps, malformed)


def flatten_steps(document: Mapping[str, Any]) -> list[StepInfo]:
    """Every step of the definition in document order, nested branch steps included."""
    return walk_steps(document).steps


class DependencyCycle(ValueError):
    """Steps need each other; ``steps`` are those that could not be ordered."""

    def __init__(self, steps: list[str]) -> None:
        super().__init__(f"the steps {', '.join(steps)} depend on each other in a cycle")
        self.steps = steps


def run_order(needs: Mapping[str, Iterable[str]], order: list[str]) -> list[str]:
    """The names of ``order`` so that each comes after everything it ``needs``; among steps that
    could run, the earliest in ``order`` goes first so runs are reproducible."""
    placed: set[str] = set()
    done: list[str] = []
    remaining = list(order)
    while remaining:
        ready = [n for n in remaining if all(d in placed for d in needs[n])]
        if not ready:
            raise DependencyCycle(remaining)
        done.append(ready[0])
        placed.add(ready[0])
        remaining.remove(ready[0])
    return done


def find_cycles(needs: Mapping[str, Iterable[str]], order: Iterable[str]) -> list[list[str]]:
    """Each cycle met by a depth-first walk from the steps in ``order``, as the path that closes
    it (``[a, b, a]``: a needs b needs a); dependencies outside ``needs`` are ignored."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dependency in sorted(needs[name]):
            if dependency not in needs:
                continue
            if state.get(dependency) == 1:
                cycles.append([*path[path.index(dependency) :], dependency])
            elif dependency not in state:
                visit(dependency, [*path, dependency])
        state[name] = 2

    for name in order:
        if name in needs and name not in state:
            visit(name, [name])
    return cycles
