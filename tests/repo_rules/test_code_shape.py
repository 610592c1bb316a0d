"""The size rules fire on a violation, stay quiet at the limit, and hold for the orchestrator."""

from __future__ import annotations

from pathlib import Path

from tools.code_shape import MAX_FUNCTION_LINES, MAX_MODULE_LINES, check_source, check_tree

ROOT = Path(__file__).resolve().parents[2]


def _function(lines: int, name: str = "f", decorator: bool = False) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(lines - 1 - decorator))
    return ("@staticmethod\n" if decorator else "") + f"def {name}():\n" + body


def test_a_function_at_the_limit_passes_and_one_line_more_fails() -> None:
    assert check_source(Path("m.py"), _function(MAX_FUNCTION_LINES)) == []
    found = check_source(Path("m.py"), _function(MAX_FUNCTION_LINES + 1, name="too_long"))
    assert [v.message.split(" has")[0] for v in found] == ["function too_long"]
    assert found[0].line == 1


def test_decorators_and_methods_count() -> None:
    method = "class C:\n" + "".join(
        f"    {line}\n" for line in _function(MAX_FUNCTION_LINES, decorator=True).splitlines()
    )
    assert check_source(Path("m.py"), method) == []
    method = "class C:\n" + "".join(
        f"    {line}\n" for line in _function(MAX_FUNCTION_LINES + 1, decorator=True).splitlines()
    )
    assert len(check_source(Path("m.py"), method)) == 1


def test_a_module_over_the_limit_fails() -> None:
    assert check_source(Path("m.py"), "x = 1\n" * MAX_MODULE_LINES) == []
    found = check_source(Path("m.py"), "x = 1\n" * (MAX_MODULE_LINES + 1))
    assert len(found) == 1 and "module has 401 lines" in str(found[0])


def test_the_orchestrator_keeps_the_rules() -> None:
    violations = check_tree(ROOT / "orchestrator")
    assert not violations, "\n".join(map(str, violations))
