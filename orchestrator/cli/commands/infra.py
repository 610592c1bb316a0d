"""``orchestrator infra plan|apply|output``: the environment's Terraform stack."""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.console import print_json, say, show
from orchestrator.cli.registry import command, group


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser)
    options.terraform(parser)


group("infra", "Terraform: plan, apply, output")


@command(
    "infra",
    "plan",
    help="init with the environment's backend and save a plan",
    arguments=_arguments,
)
def infra_plan(args: argparse.Namespace) -> int:
    from orchestrator.cli.context import environment
    from orchestrator.infra.stack import infra_plan as plan

    _, result = plan(environment(args), args.terraform_dir, progress=say)
    data = {
        "environment": result.environment,
        "plan": str(result.plan_file),
        "changes": result.has_changes,
    }
    pairs = [
        ("environment", result.environment),
        ("variables", result.tfvars),
        ("plan", result.plan_file),
        ("changes", "yes" if result.has_changes else "none"),
    ]
    show(args.output, data, pairs)
    return 0


@command(
    "infra", "apply", help="plan, apply exactly that plan, read the outputs", arguments=_arguments
)
def infra_apply(args: argparse.Namespace) -> int:
    from orchestrator.cli.context import environment
    from orchestrator.infra.stack import infra_apply as apply

    result = apply(environment(args), args.terraform_dir, progress=say)
    assert result.outputs is not None  # apply always reads them
    data = {
        "environment": result.environment,
        "plan": str(result.plan_file),
        "changed": result.has_changes,
        "outputs": result.outputs.model_dump(),
    }
    pairs = [
        ("environment", result.environment),
        ("plan", result.plan_file),
        ("applied", "yes" if result.has_changes else "nothing to change"),
        ("pipeline", result.outputs.pipeline_name),
        ("endpoint", result.outputs.endpoint_name),
    ]
    show(args.output, data, pairs)
    return 0


@command(
    "infra",
    "output",
    help="print `terraform output -json` (checked against the contract)",
    arguments=_arguments,
)
def infra_output(args: argparse.Namespace) -> int:
    """Print exactly what ``terraform output -json`` prints (a ``--stack-outputs`` file)."""
    from orchestrator.cli.context import environment
    from orchestrator.infra.stack import infra_outputs

    print_json(infra_outputs(environment(args), args.terraform_dir, progress=say))
    return 0
