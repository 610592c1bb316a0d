"""CLI handlers of the aws environments: render, infra, pipeline, deploy, rollback, and the aws
branches of run, models and batch-transform. Like ``commands``: load the environment, call the
module that does the work (``render``, ``aws_run``, ``backends.aws``), print, return the exit
code. Progress goes to stderr so ``--output json`` stays machine-readable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from orchestrator.cli.console import format_pairs, print_json
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig, load_environment


def _environment(args: argparse.Namespace) -> EnvironmentConfig:
    return load_environment(args.env, args.environments_dir)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print(args: argparse.Namespace, data: dict[str, Any], pairs: list[tuple[str, Any]]) -> None:
    if getattr(args, "output", "table") == "json":
        print_json(data)
    else:
        print(format_pairs(pairs))


def _timeout(args: argparse.Namespace, default: float) -> float:
    return args.timeout if args.timeout is not None else default


def _context(args: argparse.Namespace, config: EnvironmentConfig):  # -> AwsContext
    from orchestrator.flows.aws_run import aws_context, require_aws, stack_outputs

    require_aws(config, args.command)
    outputs = stack_outputs(config, args.stack_outputs, args.terraform_dir, progress=_say)
    return aws_context(config, outputs)


# -- render --------------------------------------------------------------------------------------
def render(args: argparse.Namespace) -> int:
    """Write ``<env>.tfvars.json``; with ``--check`` only compare (exit 1 when stale)."""
    from orchestrator.infra.render import render as render_environment

    config = _environment(args)
    result = render_environment(config, args.terraform_dir, write=not args.check)
    if args.check:
        if not result.up_to_date:
            print(
                f"stale: {result.path} does not match environments/{config.name}.yaml; refresh "
                f"it with `orchestrator render --env {config.name}` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"up to date: {result.path}")
        return 0
    state = "unchanged" if result.up_to_date else "written"
    print(f"{state}: {result.path}")
    return 0


# -- infra ---------------------------------------------------------------------------------------
def infra_plan(args: argparse.Namespace) -> int:
    from orchestrator.flows.aws_run import infra_plan as plan

    _, result = plan(_environment(args), args.terraform_dir, progress=_say)
    _print(
        args,
        {
            "environment": result.environment,
            "plan": str(result.plan_file),
            "changes": result.has_changes,
        },
        [
            ("environment", result.environment),
            ("variables", result.tfvars),
            ("plan", result.plan_file),
            ("changes", "yes" if result.has_changes else "none"),
        ],
    )
    return 0


def infra_apply(args: argparse.Namespace) -> int:
    from orchestrator.flows.aws_run import infra_apply as apply

    result = apply(_environment(args), args.terraform_dir, progress=_say)
    assert result.outputs is not None
    _print(
        args,
        {
            "environment": result.environment,
            "plan": str(result.plan_file),
            "changed": result.has_changes,
            "outputs": result.outputs.model_dump(),
        },
        [
            ("environment", result.environment),
            ("plan", result.plan_file),
            ("applied", "yes" if result.has_changes else "nothing to change"),
            ("pipeline", result.outputs.pipeline_name),
            ("endpoint", result.outputs.endpoint_name),
        ],
    )
    return 0


def infra_output(args: argparse.Namespace) -> int:
    """Print exactly what ``terraform output -json`` prints (a ``--stack-outputs`` file)."""
    from orchestrator.flows.aws_run import infra_outputs

    print_json(infra_outputs(_environment(args), args.terraform_dir, progress=_say))
    return 0


# -- pipeline ------------------------------------------------------------------------------------
def pipeline_upsert(args: argparse.Namespace) -> int:
    from orchestrator.flows.aws_run import upsert

    result = upsert(_context(args, _environment(args)))
    if result["diff"] and args.output != "json":
        print(result["diff"].rstrip())
    _print(args, result, [("pipeline", result["pipeline"]), ("action", result["action"])])
    return 0


def pipeline_start(args: argparse.Namespace) -> int:
    from orchestrator.flows.aws_run import parse_overrides, start

    overrides = parse_overrides(args.parameter)
    arn = start(_context(args, _environment(args)), overrides)
    _print(args, {"execution": arn}, [("execution", arn)])
    return 0


def pipeline_wait(args: argparse.Namespace) -> int:
    from orchestrator.flows.aws_run import (
        DEFAULT_PIPELINE_TIMEOUT_SECONDS,
        latest_execution_arn,
        poll_settings,
        wait,
    )

    context = _context(args, _environment(args))
    arn = args.execution or latest_execution_arn(context)
    poll = poll_settings(_timeout(args, DEFAULT_PIPELINE_TIMEOUT_SECONDS), args.poll_interval)
    _say(f"waiting for {arn}")
    summary, code = wait(context, arn, poll, _say)
    _print_execution(args, summary)
    return code


def _print_execution(args: argparse.Namespace, execution: dict[str, Any]) -> None:
    from orchestrator.cli.console import format_table

    if args.output == "json":
        print_json(execution)
        return
    print(format_pairs([("execution", execution["id"]), ("status", execution["status"])]))
    print(format_table(execution["steps"], ["name", "status", "cached", "failure_reason"]))
    if execution.get("failure_reason"):
        print(f"failure: {execution['failure_reason']}")


# -- run -----------------------------------------------------------------------------------------
def run_aws(args: argparse.Namespace, config: EnvironmentConfig) -> int:
    """``orchestrator run`` for an aws environment (called by ``commands.run``)."""
    from orchestrator.flows.aws_run import (
        DEFAULT_PIPELINE_TIMEOUT_SECONDS,
        parse_overrides,
        poll_settings,
    )
    from orchestrator.flows.aws_run import run_aws as run_chain

    if args.data is not None or args.schema is not None:
        raise UserError(
            "--data/--schema are for local environments; an aws environment trains on "
            f"dataset.data and dataset.schema (S3) from environments/{config.name}.yaml"
        )
    summary, code = run_chain(
        config,
        stack_outputs_file=args.stack_outputs,
        module_dir=args.terraform_dir,
        overrides=parse_overrides(args.parameter),
        poll=poll_settings(_timeout(args, DEFAULT_PIPELINE_TIMEOUT_SECONDS), args.poll_interval),
        progress=_say,
    )
    if args.output == "json":
        print_json(summary)
        return code
    print(
        format_pairs(
            [
                ("environment", summary["environment"]),
                (
                    "pipeline",
                    f"{summary['pipeline']['pipeline']} ({summary['pipeline']['action']})",
                ),
            ]
        )
    )
    _print_execution(args, summary["execution"])
    return code


# -- deploy, rollback ----------------------------------------------------------------------------
def deploy(args: argparse.Namespace) -> int:
    from orchestrator.backends.aws import deploy as deploy_package
    from orchestrator.backends.aws import resolve_model_package
    from orchestrator.flows.aws_run import (
        DEFAULT_ENDPOINT_TIMEOUT_SECONDS,
        deployment_summary,
        endpoint_settings,
        poll_settings,
    )

    config = _environment(args)
    context = _context(args, config)
    package = resolve_model_package(context.registry, context.outputs, args.model_package)
    poll = poll_settings(_timeout(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS), args.poll_interval)
    result = deploy_package(
        context.clients,
        context.outputs,
        package,
        endpoint_settings(config, context.outputs),
        poll,
        progress=_say,
    )
    _print_deployment(args, deployment_summary(result), f"{package.group} v{package.version}")
    return 0


def rollback(args: argparse.Namespace) -> int:
    from orchestrator.backends.aws import rollback as roll_back
    from orchestrator.flows.aws_run import (
        DEFAULT_ENDPOINT_TIMEOUT_SECONDS,
        deployment_summary,
        endpoint_settings,
        poll_settings,
    )

    config = _environment(args)
    context = _context(args, config)
    poll = poll_settings(_timeout(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS), args.poll_interval)
    result = roll_back(
        context.clients,
        context.outputs,
        endpoint_settings(config, context.outputs),
        poll,
        progress=_say,
    )
    _print_deployment(args, deployment_summary(result), result.model_package_arn or "")
    return 0


def _print_deployment(args: argparse.Namespace, summary: dict[str, Any], model: str) -> None:
    _print(
        args,
        summary,
        [
            ("endpoint", summary["endpoint_name"]),
            ("action", summary["action"]),
            ("model", model),
            ("endpoint config", summary["endpoint_config_name"]),
            ("previous config", summary["previous_config_name"]),
            ("rollback alarms", ", ".join(summary["rollback_alarms"]) or "none"),
        ],
    )


# -- registry and batch transform (aws branches of the shared commands) ---------------------------
class AwsRegistryWorkspace:
    """What ``commands.models_*`` need of a workspace (``registry()``, ``model_group``), backed by
    the SageMaker Model Registry of the environment's stack."""

    def __init__(self, args: argparse.Namespace, config: EnvironmentConfig) -> None:
        self.config = config
        self._context = _context(args, config)
        self.model_group = self._context.outputs.model_package_group_name

    def registry(self):  # -> AwsModelRegistry
        return self._context.registry


def batch_transform_aws(args: argparse.Namespace, config: EnvironmentConfig) -> int:
    """``orchestrator batch-transform`` for an aws environment: a TransformJob, waited for."""
    from orchestrator.backends.aws import resolve_model_package, run_batch_transform
    from orchestrator.flows.aws_run import (
        DEFAULT_ENDPOINT_TIMEOUT_SECONDS,
        poll_settings,
        transform_settings,
    )

    for flag, value in (("--input", args.input), ("--output", args.output_file)):
        if value is not None and not isinstance(value, str):
            raise UserError(
                f"{flag} {value} is a local path; an aws environment reads and writes S3: pass "
                f"s3://<bucket>/<key> (upload the input to the stack's data bucket first)"
            )
    settings = transform_settings(
        config,
        content_type=args.content_type,
        accept=args.content_type,
        input_filter=None if args.input_filter == "$" else args.input_filter,
        output_filter=None if args.output_filter == "$" else args.output_filter,
        join_source=args.join_source if args.join_source != "None" else None,
    )
    context = _context(args, config)
    if args.version is not None:
        package = context.registry.get(context.outputs.model_package_group_name, args.version)
    else:
        package = resolve_model_package(context.registry, context.outputs, None)
    if package.approval_status != "Approved":
        raise UserError(
            f"version {package.version} is {package.approval_status}; only Approved versions run "
            f"batch transforms. Approve it with 'orchestrator models approve {package.version}'"
        )
    poll = poll_settings(_timeout(args, DEFAULT_ENDPOINT_TIMEOUT_SECONDS), args.poll_interval)
    result = run_batch_transform(
        context.clients,
        context.outputs,
        package,
        settings,
        poll,
        input_uri=args.input,
        output_uri=args.output_file,
        progress=_say,
    )
    print(
        format_pairs(
            [
                ("model", f"{package.group} v{package.version}"),
                ("job", result.job_name),
                ("status", result.status),
                ("output", result.output_uri),
            ]
        )
    )
    return 0


def local_batch_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """The local batch transform's --input and --output as files (S3 URIs are for aws)."""
    if args.output_file is None:
        raise UserError("--output FILE is required for a local environment's batch transform")
    for flag, value in (("--input", args.input), ("--output", args.output_file)):
        if isinstance(value, str):
            raise UserError(
                f"{flag} {value} is an S3 URI; a local environment reads and writes files "
                "(use --env dev|staging|prod for SageMaker batch transform)"
            )
    return args.input, args.output_file
