"""The one place that chooses between the local and the AWS backend.

Everything else (flows, CLI) receives a :class:`~orchestrator.backends.base.Backend` and never
asks which one it is. For an aws environment this is also where the stack's outputs come from:
a ``--stack-outputs`` file of an earlier apply, the live ``terraform output``, or a fresh
render + apply when the caller asks for the infrastructure to be brought up to date first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.backends.base import Backend, Progress
from orchestrator.backends.local.progress import ProgressCallback
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs


@dataclass(frozen=True)
class StackSource:
    """Where an aws environment's stack outputs come from (ignored by local environments,
    which have no stack)."""

    outputs_file: Path | None = None
    module_dir: Path | None = None
    apply: bool = False  # render the tfvars and apply the plan first (the run flow's first steps)
    preflight: bool = True  # check the plan with the offline preflight before applying it
    approved_plan: Path | None = None  # apply this saved, reviewed plan instead of a fresh one
    auto_approve: bool = False  # apply a fresh plan's changes unreviewed (never staging/prod)


def open_backend(
    config: EnvironmentConfig,
    stack: StackSource | None = None,
    *,
    events: ProgressCallback | None = None,
    port: int = 0,
    progress: Progress | None = None,
) -> Backend:
    """The backend of ``config``: its runner, registry, endpoint, transformer and store.

    ``events`` (local) sees pipeline step events as they happen; ``port`` is the local
    endpoint's port (0: any free one); ``progress`` sees infrastructure steps (aws).
    """
    if config.backend == "local":
        from orchestrator.backends.local.backend import local_backend

        _refuse_stack_flags(config, stack)
        return local_backend(config, events=events, port=port)
    from orchestrator.backends.aws.backend import aws_backend

    outputs, infrastructure = _stack_outputs(config, stack or StackSource(), progress)
    backend = aws_backend(config, outputs)
    backend.infrastructure = infrastructure
    return backend


def _stack_outputs(
    config: EnvironmentConfig, stack: StackSource, progress: Progress | None
) -> tuple[StackOutputs, dict[str, Any]]:
    from orchestrator.infra.render import render
    from orchestrator.infra.stack import infra_apply, stack_outputs

    say = progress or (lambda _message: None)
    if stack.outputs_file is not None and (stack.approved_plan or stack.auto_approve):
        raise UserError(
            "--stack-outputs uses an earlier apply and runs no Terraform, so --approve-plan / "
            "--auto-approve have nothing to apply; drop one or the other"
        )
    if stack.outputs_file is not None or not stack.apply:
        outputs = stack_outputs(config, stack.outputs_file, stack.module_dir, progress=say)
        source = str(stack.outputs_file) if stack.outputs_file else "terraform output"
        return outputs, {"infrastructure": {"stack_outputs": source}}
    rendered = render(config, stack.module_dir)
    say(f"render: {rendered.path} " + ("unchanged" if rendered.up_to_date else "updated"))
    from orchestrator.infra.stack import infra_apply_saved
    from orchestrator.preflight.gate import preflight_gate
    from orchestrator.settings.environment import PROTECTED_ENVIRONMENTS

    protected = config.name in PROTECTED_ENVIRONMENTS
    if stack.auto_approve and protected:
        raise UserError(
            f"--auto-approve is refused for {config.name}: its stack changes only from a "
            f"reviewed plan (`orchestrator infra plan --env {config.name}`, then "
            "`orchestrator run --approve-plan FILE`)"
        )
    check = (lambda plan: preflight_gate(config, plan)) if stack.preflight else None
    if stack.approved_plan is not None:
        applied = infra_apply_saved(
            config, stack.approved_plan, stack.module_dir, progress=say, check_plan=check
        )
    else:
        applied = infra_apply(
            config, stack.module_dir, progress=say, check_plan=check, require_approval=protected
        )
    say("preflight: the plan fits AWS's rules" if stack.preflight else "preflight: skipped")
    assert applied.outputs is not None
    return applied.outputs, {
        "tfvars": {"path": str(rendered.path), "changed": not rendered.up_to_date},
        "infrastructure": {"changed": applied.has_changes, "plan": str(applied.plan_file)},
    }


def _refuse_stack_flags(config: EnvironmentConfig, stack: StackSource | None) -> None:
    """A local environment has no Terraform stack: flags that name one are refused, by name,
    rather than silently ignored."""
    named = [
        flag
        for flag, value in (
            ("--stack-outputs", stack.outputs_file if stack else None),
            ("--terraform-dir", stack.module_dir if stack else None),
            ("--skip-preflight", True if stack and not stack.preflight else None),
            ("--approve-plan", stack.approved_plan if stack else None),
            ("--auto-approve", True if stack and stack.auto_approve else None),
        )
        if value is not None
    ]
    if named:
        raise UserError(
            f"{' and '.join(named)} apply to a Terraform stack, which the local environment "
            f"{config.name} does not have; drop them or pick an aws environment (--env dev)"
        )
