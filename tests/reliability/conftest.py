"""The reliability tests (issue 7) reuse the serving and end-to-end helpers of their sibling
folders rather than copying them: ``serve_helpers`` (bundles and a real ``serve`` process) from
``tests/containers`` and ``e2e_support`` (the lean local environment) from ``tests/e2e``."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
for folder in ("containers", "e2e"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))
