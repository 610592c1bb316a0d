"""A rule that no test feeds a violation is not a rule: every registered preflight rule is
named in at least one test of this folder that expects it to report something."""

from __future__ import annotations

from pathlib import Path

import orchestrator.preflight.rules  # noqa: F401  (registers the rules)
from orchestrator.preflight.registry import RULES

HERE = Path(__file__).resolve().parent


def test_every_rule_is_exercised_by_a_test() -> None:
    sources = "".join(path.read_text() for path in HERE.glob("test_rules_*.py"))
    untested = [name for name in RULES if f'"{name}"' not in sources]
    assert untested == [], f"rules without a test in tests/preflight/test_rules_*.py: {untested}"
    assert len(RULES) >= 17
