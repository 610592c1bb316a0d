"""The preflight tests build small plans (plan_builder.py) and read the real environments."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
