"""The ``variable`` blocks of a Terraform file, cut out without their nested blocks, so that
Terraform core can parse them alone (:mod:`.variables` says why it must).

The scanner understands exactly what can hide a brace in HCL: quoted strings (with escapes and
``${...}``/``%{...}`` templates), heredocs and the three comment forms. Everything else at the
top level (resources, outputs, locals) is skipped whole.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_CLOSERS = {"{": "}", "[": "]", "(": ")"}


class HclScanError(ValueError):
    """The text is not HCL the scanner can cut blocks out of (an unclosed string, bracket,
    heredoc or comment); the message says which."""


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
    raise HclScanError("unterminated string in the variable declarations")


def _skip_heredoc(text: str, i: int) -> int | None:
    """If a heredoc starts at ``i``, the index after its closing marker line."""
    match = _HEREDOC.match(text, i)
    if match is None:
        return None
    closing = re.compile(rf"^[ \t]*{re.escape(match.group(1))}[ \t]*$", re.MULTILINE)
    end = closing.search(text, match.end())
    if end is None:
        raise HclScanError(f"heredoc <<{match.group(1)} is never closed")
    return end.end()


def _skip_comment(text: str, i: int) -> int | None:
    """If a comment starts at ``i``, the index after it."""
    if text.startswith("#", i) or text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        end = text.find("*/", i + 2)
        if end < 0:
            raise HclScanError("unterminated /* comment in the variable declarations")
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
                raise HclScanError(f"mismatched {char!r} in the variable declarations")
            if not stack:
                return i
        i += 1
    raise HclScanError("unbalanced brackets in the variable declarations")


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
            raise HclScanError(f"unexpected {text[i : i + 20]!r} at top level")
        j = _skip_space(text, word.end())
        while j < len(text) and text[j] == '"':
            j = _skip_space(text, _skip_string(text, j))
        open_brace = j
        if open_brace >= len(text) or text[open_brace] != "{":
            raise HclScanError(f"block {word.group()!r} has no body")
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
            raise HclScanError(f"unexpected {text[i : i + 20]!r} in a variable block")
        j = _skip_space(text, word.end())
        if j < end and text[j] == "{":  # a nested block such as validation {...}
            i = _skip_space(text, _matching(text, j) + 1)
            continue
        if j >= end or text[j] != "=":
            raise HclScanError(f"expected '=' after {word.group()!r}")
        stop = min(_attribute_end(text, j + 1), end)
        lines.append("  " + text[i:stop].strip() + "\n")
        i = _skip_space(text, stop)
    return "".join(lines)
