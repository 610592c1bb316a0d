"""The ``orchestrator`` command: build the parser from the registry, run one handler, exit.

Exit codes: 0 success; 1 the work itself failed (a pipeline execution failed, an endpoint check
failed); 2 a user mistake (bad flag, environment file, data, definition), always with one
paragraph naming the problem and the fix; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from orchestrator.cli import commands
from orchestrator.cli.registry import REGISTRY
from orchestrator.errors import OperationFailed, UserError

DESCRIPTION = (
    "Build, run and deploy the SageMaker ML pipeline: locally (--env local, the default) or on "
    "AWS (--env dev|staging|prod)."
)


def build_parser() -> argparse.ArgumentParser:
    commands.load()
    return REGISTRY.build_parser("orchestrator", DESCRIPTION)


def _error_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(user mistakes -> exit 2, work that failed -> exit 1). Each module raises its own error
    type with a message that names the problem and the fix; the CLI only sorts them."""
    from ml_containers.schema import SchemaError

    from orchestrator.backends.local.errors import ArtifactError, RunnerInputError
    from orchestrator.backends.local.serving_errors import (
        BatchTransformError,
        EndpointError,
        InvocationError,
    )
    from orchestrator.backends.model_registry import RegistryError
    from orchestrator.pipeline.errors import DefinitionError
    from orchestrator.settings.stack_outputs import StackOutputsError

    user = (UserError, SchemaError, RunnerInputError, DefinitionError, StackOutputsError)
    return (*user, RegistryError, ArtifactError), (
        EndpointError,
        InvocationError,
        BatchTransformError,
        OperationFailed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    user_errors, failures = _error_types()
    try:
        return int(args.handler(args) or 0)
    except user_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except failures as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user mistake: say so, keep details for --debug
        if os.environ.get("ORCHESTRATOR_DEBUG"):
            traceback.print_exc()
        print(
            f"internal error: {type(exc).__name__}: {exc}. This is a bug; rerun with "
            "ORCHESTRATOR_DEBUG=1 for the traceback and report it.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
