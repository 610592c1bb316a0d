"""Comparing pipeline definitions as JSON values: key order and whitespace never count.

Both backends use it on upsert, so an unchanged definition is "unchanged" everywhere (re-running
CI creates no new pipeline version) and a changed one shows the same unified diff.
"""

from __future__ import annotations

import difflib
import json


def canonical_definition(text: str) -> str:
    """A definition's text with sorted keys and fixed indentation, for comparing and diffing."""
    return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def definition_diff(deployed: str, new: str, name: str = "pipeline") -> str:
    """The unified diff between two definition texts, ignoring key order and whitespace."""
    return "".join(
        difflib.unified_diff(
            canonical_definition(deployed).splitlines(keepends=True),
            canonical_definition(new).splitlines(keepends=True),
            fromfile=f"{name} (deployed)",
            tofile=f"{name} (new)",
        )
    )
