"""What handlers share: the environment file, its backend, and the wait settings of the flags."""

from __future__ import annotations

import argparse

from orchestrator.backends.base import Backend
from orchestrator.backends.polling import PollSettings
from orchestrator.backends.select import StackSource, open_backend
from orchestrator.cli.console import say
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig, load_environment


def environment(args: argparse.Namespace) -> EnvironmentConfig:
    return load_environment(args.env, args.environments_dir)


def stack_source(args: argparse.Namespace, apply: bool = False) -> StackSource:
    return StackSource(
        outputs_file=getattr(args, "stack_outputs", None),
        module_dir=getattr(args, "terraform_dir", None),
        apply=apply,
        preflight=not getattr(args, "skip_preflight", False),
        approved_plan=getattr(args, "approve_plan", None),
        auto_approve=getattr(args, "auto_approve", False),
    )


def backend(
    args: argparse.Namespace, config: EnvironmentConfig | None = None, port: int = 0
) -> Backend:
    """The backend of ``--env``, its stack outputs from the flags."""
    return open_backend(config or environment(args), stack_source(args), port=port, progress=say)


def poll(args: argparse.Namespace, default_timeout: float) -> PollSettings:
    """``--timeout``/``--poll-interval`` as the flows' wait settings."""
    timeout = args.timeout if args.timeout is not None else default_timeout
    try:
        return PollSettings(timeout_seconds=timeout, interval_seconds=args.poll_interval)
    except ValueError as exc:
        raise UserError(f"{exc}; pass a positive --timeout and --poll-interval") from None
