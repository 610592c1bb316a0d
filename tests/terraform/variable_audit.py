"""Finds `variable` blocks that lack a type or a description.

Why a scanner instead of an HCL library: python-hcl2 conflicts with checkov and is not a
project dependency; variable blocks only need brace matching that skips strings and comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_VARIABLE_START = re.compile(r'^variable\s+"([^"]+)"\s*\{', re.MULTILINE)
_TOP_LEVEL_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=", re.MULTILINE)


@dataclass(frozen=True)
class VariableBlock:
    """One variable block: its file, name and the attributes set at its top level."""

    path: Path
    name: str
    attributes: frozenset[str]
    validations: int


def _block_end(text: str, open_brace: int) -> int:
    """Index just past the brace that closes the one at `open_brace`, skipping strings/comments."""
    depth = 0
    index = open_brace
    in_string = False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or text.startswith("//", index):
            index = text.find("\n", index)
            if index == -1:
                break
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError(f"unbalanced braces after offset {open_brace}")


def _depth_one_text(body: str) -> str:
    """The body with every nested block removed, so only its own attributes remain."""
    kept: list[str] = []
    index = 0
    while index < len(body):
        brace = body.find("{", index)
        if brace == -1:
            kept.append(body[index:])
            break
        line_start = body.rfind("\n", 0, brace) + 1
        header = body[line_start:brace]
        if "=" in header:
            # An attribute value such as `default = { ... }`: keep its name, drop the value.
            end = _block_end(body, brace)
            kept.append(body[index:brace])
            index = end
            continue
        kept.append(body[index:line_start])
        index = _block_end(body, brace)
    return "".join(kept)


def variable_blocks(path: Path) -> list[VariableBlock]:
    """Every top-level variable block of one .tf file."""
    text = path.read_text()
    blocks: list[VariableBlock] = []
    for match in _VARIABLE_START.finditer(text):
        open_brace = match.end() - 1
        body = text[open_brace + 1 : _block_end(text, open_brace) - 1]
        own = _depth_one_text(body)
        attributes = frozenset(_TOP_LEVEL_ATTRIBUTE.findall(own))
        validations = len(re.findall(r"^\s*validation\s*\{", body, re.MULTILINE))
        blocks.append(VariableBlock(path, match.group(1), attributes, validations))
    return blocks


def problems(blocks: list[VariableBlock]) -> list[str]:
    """One line per variable without `type` or without a non-empty `description`."""
    found: list[str] = []
    for block in blocks:
        for required in ("type", "description"):
            if required not in block.attributes:
                found.append(f"{block.path}: variable {block.name!r} has no {required}")
    return found
