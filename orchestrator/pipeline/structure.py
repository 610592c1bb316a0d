"""Structural checks of a definition: what SageMaker checks when a pipeline is created.

Catching these before an upsert (or before the local runner starts) turns a rejected CreatePipeline
or a half-run execution into one message: step names unique, step types known, every ``Get``
pointing at a declared parameter, a known execution variable or an existing property of a step
that runs before, property files and DependsOn names that exist, no dependency cycles, no step
reading a step from the other branch of a condition, RetryPolicies only on types that take them
and within SageMaker's ranges (``retry.py``).
"""

from __future__ import annotations

from typing import Any

from orchestrator.pipeline import expressions as ex
from orchestrator.pipeline import names, step_types
from orchestrator.pipeline.config import ISO_DURATION
from orchestrator.pipeline.parameters import PYTHON_TYPES
from orchestrator.pipeline.retry import RETRY_POLICIES, check_retry_policies
from orchestrator.pipeline.service_model import PropertyPathError, property_shape
from orchestrator.pipeline.step_graph import StepInfo, find_cycles, flatten_steps
from orchestrator.pipeline.step_types import StepCheck


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
    top_names = frozenset(
        s["Name"] for s in steps if isinstance(s, dict) and isinstance(s.get("Name"), str)
    )
    for info in infos:
        _check_step_shape(info, by_name, top_names, problems)
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
    info: StepInfo, by_name: dict[str, StepInfo], top_names: frozenset[str], problems: list[str]
) -> None:
    where = f"step {info.name!r}"
    kind = step_types.get(info.type)
    if kind is None:
        problems.append(f"{where}: unknown Type {info.type!r}; known: {list(step_types.names())}")
    if not isinstance(info.body.get("Arguments"), dict):
        problems.append(f"{where}: Arguments must be an object")
    depends_on = info.body.get("DependsOn", [])
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        problems.append(f"{where}: DependsOn must be a list of step names")
    else:
        problems += [
            f"{where}: DependsOn names {dependency!r}, which is no step"
            for dependency in depends_on
            if dependency not in by_name
        ]
    cache = info.body.get("CacheConfig")
    if cache is not None:
        if not isinstance(cache, dict) or not isinstance(cache.get("Enabled"), bool):
            problems.append(f"{where}: CacheConfig needs a boolean Enabled")
        elif "ExpireAfter" in cache and not ISO_DURATION.match(str(cache["ExpireAfter"])):
            problems.append(f"{where}: CacheConfig.ExpireAfter is not an ISO 8601 duration")
    _check_property_files(info, where, problems)
    problems += check_retry_policies(where, info.type, info.body.get(RETRY_POLICIES))
    if kind is not None:
        problems += kind.check_arguments(StepCheck(where, info.arguments, top_names))


def _check_property_files(info: StepInfo, where: str, problems: list[str]) -> None:
    output_names = _output_names(info)
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


def _output_names(info: StepInfo) -> set[str]:
    kind = step_types.get(info.type)
    return kind.output_names(info.body.get("Arguments")) if kind else set()


def _check_references(
    info: StepInfo,
    by_name: dict[str, StepInfo],
    parameters: dict[str, dict[str, Any]],
    problems: list[str],
) -> None:
    for reference in info.references:
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
    for condition, side in info.branches:
        for other_condition, other_side in target.branches:
            if condition == other_condition and side != other_side:
                problems.append(
                    f"{where}: refers to {target.name!r} in the other branch ({other_side}) of "
                    f"{condition!r}; the two never run in the same execution"
                )
    path = reference.step_path
    if path.startswith("PropertyFiles."):
        _check_property_file_reference(target, reference, where, problems)
        return
    try:
        property_shape(target.type, path)
    except PropertyPathError as exc:
        problems.append(f"{where}: Steps.{target.name}.{path} is not a step property: {exc}")
        return
    _check_named_output(target, ex.parse_property_path(path), where, problems)


def _check_property_file_reference(
    target: StepInfo, reference: ex.Reference, where: str, problems: list[str]
) -> None:
    declared = {
        p.get("PropertyFileName")
        for p in target.body.get("PropertyFiles", []) or []
        if isinstance(p, dict)
    }
    file_name = reference.step_path.removeprefix("PropertyFiles.")
    if file_name not in declared:
        problems.append(f"{where}: step {target.name!r} declares no property file {file_name!r}")
    elif not reference.location.endswith(".PropertyFile"):
        problems.append(f"{where}: a property file can only be read with Std:JsonGet")


def _check_named_output(
    target: StepInfo, tokens: list[ex.PathToken], where: str, problems: list[str]
) -> None:
    """``Outputs['name']`` must name an output the target step declares."""
    kind = step_types.get(target.type)
    if kind is None or kind.outputs is None:
        return
    depth = len(kind.outputs.path)
    key = tokens[depth] if len(tokens) > depth else None
    if tuple(tokens[:depth]) != kind.outputs.path or not isinstance(key, ex.Key):
        return
    declared = _output_names(target)
    if key.name not in declared:
        problems.append(
            f"{where}: step {target.name!r} has no output named {key.name!r}; "
            f"its outputs are {sorted(declared)}"
        )


def _check_cycles(infos: list[StepInfo], by_name: dict[str, StepInfo], problems: list[str]) -> None:
    needs = {name: info.upstream() for name, info in by_name.items()}
    for cycle in find_cycles(needs, [info.name for info in infos]):
        problems.append(
            "steps depend on each other in a cycle: "
            + " needs ".join(cycle)
            + "; a step can only use steps that run before it"
        )
