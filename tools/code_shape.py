"""The orchestrator's size rules, checked from the source: no function over 60 lines and no module
over 400 lines (issue 13). Small modules with one job each are what keep a new step type, backend
or command a one-module change; a rule nobody measures drifts, so `make test` measures it.

Lines are physical lines of the file, docstrings and comments included: that is what a reader
scrolls through. A function's length runs from its ``def`` (decorators included) to its last line.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_source(path: Path, source: str) -> list[Violation]:
    """Every size rule ``source`` (the text of ``path``) breaks."""
    found: list[Violation] = []
    lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    if lines > MAX_MODULE_LINES:
        found.append(
            Violation(path, 1, f"module has {lines} lines (at most {MAX_MODULE_LINES}); split it")
        )
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    Violation(
                        path,
                        node.lineno,
                        f"function {node.name} has {length} lines (at most "
                        f"{MAX_FUNCTION_LINES}); split it",
                    )
                )
    return found


def check_tree(root: Path) -> list[Violation]:
    found: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        found.extend(check_source(path, path.read_text()))
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("orchestrator")]
    violations = [v for root in roots for v in check_tree(root)]
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
