"""The preflight rules, one module per kind; importing this package registers them all."""

from orchestrator.preflight.rules import (  # noqa: F401  (registration on import)
    collisions,
    coverage,
    iam_policies,
    online,
    parameters,
    rollback,
)
