"""Structural checks of a definition: what SageMaker checks when a pipeline is created.

Catching these before an upsert (or before the local runner starts) turns a rejected CreatePipeline
or a half-run execution into one message: step names unique, step types known, every ``Get``
pointing at a declared parameter, a known execution variable or an existing property of a step
that runs before, property files and DependsOn names that exist, no dependency cycles, no step
reading a step from the other branch of a condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names, step_types
from orchestrator.pipeline.config import ISO_DURATION
from orchestrator.pipeline.parameters import PYTHON_TYPES
from orchestrator.pipeline.service_model import (
    PropertyPathError,
    property_shape,
)

CONDITION_TYPES = (
    "Equals",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LessThan",
    "LessThanOrEqualTo",
    "In",
    "Not",
    "Or",
)


@dataclass
class StepInfo:
    """One step wherever it sits (top level or inside a condition branch)."""

    name: str
    type: str
    body: dict[str, Any]
    location: str
    # (condition step name, "IfSteps" | "ElseSteps") for each enclosing condition, outermost first.
    branches: tuple[tuple[str, str], ...] = ()
    depends_on: set[str] = field(default_factory=set)


def flatten_steps(document: dict[str, Any]) -> list[StepInfo]:
    """Every step of the definition in document order, nested branch steps included."""
    found: list[StepInfo] = []

    def visit(steps: Any, location: str, branches: tuple[tuple[str, str], ...]) -> None:
        if not isinstance(steps, list):
            return
        for index, step in enumerate(steps):
            if not isinstance(step, dict):
                continue
            info = StepInfo(
                name=str(step.get("Name", "")),
                type=str(step.get("Type", "")),
                body=step,
                location=f"{location}[{index}]",
                branches=branches,
            )
            found.append(info)
            arguments = step.get("Arguments")
            kind = step_types.get(info.type)
            if kind is not None and kind.branches and isinstance(arguments, dict):
                for side in kind.branches:
                    visit(
                        arguments.get(side),
                        f"{info.location}.Arguments.{side}",
                        (*branches, (info.name, side)),
                    )

    visit(document.get("Steps"), "Steps", ())
    return found


def validate_structure(document: Any) -> list[str]:
    """All structural problems of ``document`` (empty when it is well formed)."""
    if not isinstance(document, dict):
        return ["the definition must be a JSON object with Version, Parameters and Steps"]
    problems: list[str] = []
    if document.get("Version") != names.DEFINITION_VERSION:
        problems.append(
            f"Version is {document.get('Version')!r}; "
            f"SageMaker expects {names.DEFINITION_VERSION!r}"
        )
    parameters = _check_parameters(document.get("Parameters", []), problems)
    steps = document.get("Steps")
    if not isinstance(steps, list) or not steps:
        problems.append("Steps must be a non-empty list of steps")
        return problems
    problems += [
        f"Steps[{index}] must be a step object with Name, Type and Arguments"
        for index, item in enumerate(steps)
        if not isinstance(item, dict)
    ]
    infos = flatten_steps(document)
    by_name = _check_names(infos, problems)
    for info in infos:
        _check_step_shape(info, by_name, steps, problems)
    for info in infos:
        _check_references(info, by_name, parameters, problems)
    _check_cycles(infos, by_name, problems)
    return problems


def _check_parameters(parameters: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    declared: dict[str, dict[str, Any]] = {}
    if not isinstance(parameters, list):
        problems.append("Parameters must be a list of {Name, Type, DefaultValue}")
        return declared
    for index, entry in enumerate(parameters):
        where = f"Parameters[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str):
            problems.append(f"{where}: a parameter needs a string Name")
            continue
        name, kind = entry["Name"], entry.get("Type")
        if name in declared:
            problems.append(f"{where}: parameter {name!r} is declared twice")
        if kind not in PYTHON_TYPES:
            problems.append(
                f"{where}: parameter {name!r} has Type {kind!r}; use {list(PYTHON_TYPES)}"
            )
        elif "DefaultValue" in entry:
            default = entry["DefaultValue"]
            if not isinstance(default, PYTHON_TYPES[kind]) or (
                kind != "Boolean" and isinstance(default, bool)
            ):
                problems.append(
                    f"{where}: parameter {name!r} is a {kind} but its DefaultValue is {default!r}"
                )
            enum = entry.get("EnumValues")
            if enum is not None and default not in enum:
                problems.append(
                    f"{where}: default {default!r} of {name!r} is not in its EnumValues"
                )
        declared[name] = entry
    return declared


def _check_names(infos: list[StepInfo], problems: list[str]) -> dict[str, StepInfo]:
    by_name: dict[str, StepInfo] = {}
    for info in infos:
        if not info.name:
            problems.append(f"{info.location}: a step needs a non-empty Name")
            continue
        if info.name in by_name:
            problems.append(
                f"{info.location}: step name {info.name!r} is already used at "
                f"{by_name[info.name].location}; step names must be unique"
            )
            continue
        by_name[info.name] = info
    return by_name


def _check_step_shape(
    info: StepInfo, by_name: dict[str, StepInfo], top_level: list[Any], problems: list[str]
) -> None:
    where = f"step {info.name!r}"
    if step_types.get(info.type) is None:
        problems.append(f"{where}: unknown Type {info.type!r}; known: {list(step_types.names())}")
    arguments = info.body.get("Arguments")
    if not isinstance(arguments, dict):
        problems.append(f"{where}: Arguments must be an object")
        arguments = {}
    depends_on = info.body.get("DependsOn", [])
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        problems.append(f"{where}: DependsOn must be a list of step names")
    else:
        for dependency in depends_on:
            if dependency not in by_name:
                problems.append(f"{where}: DependsOn names {dependency!r}, which is no step")
            info.depends_on.add(dependency)
    cache = info.body.get("CacheConfig")
    if cache is not None:
        if not isinstance(cache, dict) or not isinstance(cache.get("Enabled"), bool):
            problems.append(f"{where}: CacheConfig needs a boolean Enabled")
        elif "ExpireAfter" in cache and not ISO_DURATION.match(str(cache["ExpireAfter"])):
            problems.append(f"{where}: CacheConfig.ExpireAfter is not an ISO 8601 duration")
    output_names = _processing_output_names(info)
    for index, prop in enumerate(info.body.get("PropertyFiles", []) or []):
        if not isinstance(prop, dict) or not all(
            isinstance(prop.get(k), str) for k in ("PropertyFileName", "OutputName", "FilePath")
        ):
            problems.append(
                f"{where}: PropertyFiles[{index}] needs PropertyFileName, OutputName, FilePath"
            )
        elif prop["OutputName"] not in output_names:
            problems.append(
                f"{where}: property file {prop['PropertyFileName']!r} reads output "
                f"{prop['OutputName']!r}, but the step's outputs are {sorted(output_names)}"
            )
    if info.type == "Condition":
        _check_condition(where, arguments, by_name, top_level, problems)
    if info.type == "Fail":
        message = arguments.get("ErrorMessage")
        if not (isinstance(message, str) or ex.is_expression(message)):
            problems.append(f"{where}: ErrorMessage must be a string or a Std:Join/Get expression")


def _check_condition(
    where: str,
    arguments: dict[str, Any],
    by_name: dict[str, StepInfo],
    top_level: list[Any],
    problems: list[str],
) -> None:
    conditions = arguments.get("Conditions")
    if not isinstance(conditions, list) or not conditions:
        problems.append(f"{where}: Conditions must be a non-empty list")
    else:
        for index, condition in enumerate(conditions):
            kind = condition.get("Type") if isinstance(condition, dict) else None
            if kind not in CONDITION_TYPES:
                problems.append(
                    f"{where}: Conditions[{index}].Type {kind!r} is not one of {CONDITION_TYPES}"
                )
            elif kind not in ("Not", "Or", "In") and not {"LeftValue", "RightValue"} <= set(
                condition
            ):
                problems.append(f"{where}: Conditions[{index}] needs LeftValue and RightValue")
    top_names = {s.get("Name") for s in top_level if isinstance(s, dict)}
    for side in ("IfSteps", "ElseSteps"):
        branch = arguments.get(side, [])
        if not isinstance(branch, list):
            problems.append(f"{where}: {side} must be a list")
            continue
        for index, item in enumerate(branch):
            if isinstance(item, str):
                if item not in top_names:
                    problems.append(f"{where}: {side}[{index}] names {item!r}, which is no step")
            elif not isinstance(item, dict):
                problems.append(f"{where}: {side}[{index}] must be a step or a step name")


def _processing_output_names(info: StepInfo) -> set[str]:
    arguments = info.body.get("Arguments")
    if info.type != "Processing" or not isinstance(arguments, dict):
        return set()
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    return {str(o.get("OutputName")) for o in outputs if isinstance(o, dict)}


def _referenced_arguments(info: StepInfo) -> Any:
    """The part of a step that its own references live in (not its nested branch steps)."""
    arguments = info.body.get("Arguments")
    kind = step_types.get(info.type)
    if kind is not None and kind.branches and isinstance(arguments, dict):
        return {key: arguments.get(key) for key in kind.own_arguments}
    return arguments


def _check_references(
    info: StepInfo,
    by_name: dict[str, StepInfo],
    parameters: dict[str, dict[str, Any]],
    problems: list[str],
) -> None:
    for condition, _side in info.branches:
        info.depends_on.add(condition)
    for reference in ex.iter_references(_referenced_arguments(info), "Arguments"):
        where = f"step {info.name!r} at {reference.location}"
        namespace, _, rest = reference.target.partition(".")
        if namespace == "Parameters":
            if rest not in parameters:
                problems.append(f"{where}: parameter {rest!r} is not declared in Parameters")
        elif namespace == "Execution":
            if rest not in ex.EXECUTION_VARIABLES:
                problems.append(
                    f"{where}: {rest!r} is not an execution variable; use {ex.EXECUTION_VARIABLES}"
                )
        elif namespace == "Steps":
            _check_step_reference(info, reference, where, by_name, problems)
        else:
            problems.append(
                f"{where}: Get {reference.target!r} must start with "
                "Parameters., Execution. or Steps."
            )


def _check_step_reference(
    info: StepInfo,
    reference: ex.Reference,
    where: str,
    by_name: dict[str, StepInfo],
    problems: list[str],
) -> None:
    target = by_name.get(reference.step_name)
    if target is None:
        problems.append(f"{where}: refers to step {reference.step_name!r}, which does not exist")
        return
    if target.name == info.name:
        problems.append(f"{where}: a step cannot refer to its own properties")
        return
    info.depends_on.add(target.name)
    for condition, side in info.branches:
        for other_condition, other_side in target.branches:
            if condition == other_condition and side != other_side:
                problems.append(
                    f"{where}: refers to {target.name!r} in the other branch ({other_side}) of "
                    f"{condition!r}; the two never run in the same execution"
                )
    path = reference.step_path
    if path.startswith("PropertyFiles."):
        declared = {
            p.get("PropertyFileName")
            for p in target.body.get("PropertyFiles", []) or []
            if isinstance(p, dict)
        }
        file_name = path.removeprefix("PropertyFiles.")
        if file_name not in declared:
            problems.append(
                f"{where}: step {target.name!r} declares no property file {file_name!r}"
            )
        elif not reference.location.endswith(".PropertyFile"):
            problems.append(f"{where}: a property file can only be read with Std:JsonGet")
        return
    try:
        property_shape(target.type, path)
    except PropertyPathError as exc:
        problems.append(f"{where}: Steps.{target.name}.{path} is not a step property: {exc}")
        return
    tokens = ex.parse_property_path(path)
    if target.type == "Processing" and tokens[:2] == ["ProcessingOutputConfig", "Outputs"]:
        key = tokens[2] if len(tokens) > 2 else None
        if isinstance(key, str) and key.strip("'") not in _processing_output_names(target):
            problems.append(
                f"{where}: step {target.name!r} has no output named {key.strip(chr(39))!r}; "
                f"its outputs are {sorted(_processing_output_names(target))}"
            )


def _check_cycles(infos: list[StepInfo], by_name: dict[str, StepInfo], problems: list[str]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dependency in sorted(by_name[name].depends_on):
            if dependency not in by_name:
                continue
            if state.get(dependency) == 1:
                cycle = [*path[path.index(dependency) :], dependency]
                problems.append(
                    "steps depend on each other in a cycle: "
                    + " needs ".join(cycle)
                    + "; a step can only use steps that run before it"
                )
            elif dependency not in state:
                visit(dependency, [*path, dependency])
        state[name] = 2

    for info in infos:
        if info.name in by_name and info.name not in state:
            visit(info.name, [info.name])
