"""One function per CLI command: load the environment, call the module that does the work,
print the result (table or JSON) and return the exit code. No logic of its own beyond that."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from orchestrator.backends.model_registry import ModelPackage
from orchestrator.cli.console import format_pairs, format_table, print_json
from orchestrator.cli.handlers_aws import (  # noqa: F401 (handlers; app.py dispatches by name)
    deploy,
    infra_apply,
    infra_output,
    infra_plan,
    pipeline_start,
    pipeline_upsert,
    pipeline_wait,
    render,
    rollback,
)
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig, load_environment


def _environment(args: argparse.Namespace) -> EnvironmentConfig:
    return load_environment(args.env, args.environments_dir)


def _local_workspace(
    args: argparse.Namespace, config: EnvironmentConfig | None = None
):  # -> LocalWorkspace
    config = config or _environment(args)
    if config.backend != "local":
        raise UserError(
            f"environment {config.name} uses the {config.backend} backend; this command works "
            "on local environments only in this build (use --env local)"
        )
    from orchestrator.backends.local.workspace import LocalWorkspace

    return LocalWorkspace(config)


def _registry_workspace(args: argparse.Namespace):  # -> LocalWorkspace | AwsRegistryWorkspace
    """The registry of the environment: SQLite for local, SageMaker for aws environments."""
    config = _environment(args)
    if config.backend == "aws":
        from orchestrator.cli.handlers_aws import AwsRegistryWorkspace

        return AwsRegistryWorkspace(args, config)
    return _local_workspace(args, config)


# -- run -----------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    from orchestrator.flows.local_run import run_local

    config = _environment(args)
    if config.backend == "aws":
        from orchestrator.cli.handlers_aws import run_aws

        return run_aws(args, config)
    summary, code = run_local(config, data=args.data, schema=args.schema)
    if args.output == "json":
        print_json(summary)
    else:
        print(render_run_summary(summary))
    return code


def render_run_summary(summary: dict[str, Any]) -> str:
    execution = summary["execution"]
    lines = [
        "",
        format_pairs(
            [
                ("environment", summary["environment"]),
                ("dataset", f"{summary['dataset']['name']} ({summary['dataset']['source']})"),
                ("execution", f"{execution['id']}  {execution['status']}"),
                ("duration", f"{summary.get('duration_seconds')} s"),
            ]
        ),
        "",
        format_table(
            [{**s, "cached": "yes" if s["cached"] else ""} for s in execution["steps"]],
            ["name", "status", "cached", "seconds"],
        ),
    ]
    if execution.get("failure_reason"):
        lines += ["", f"failure: {execution['failure_reason']}"]
    best = summary.get("best_hyperparameters") or {}
    if best:
        lines += [
            "",
            format_pairs([("best trial", best["training_job"]), *best["objective"].items()]),
        ]
        lines.append(format_pairs(sorted(best["hyperparameters"].items())))
    if summary.get("metrics"):
        lines += ["", format_pairs(sorted(summary["metrics"].items()))]
    package = summary.get("model_package")
    if package:
        lines += [
            "",
            format_pairs(
                [
                    ("model package", f"{package['group']} v{package['version']}"),
                    ("approval", package["approval_status"]),
                ]
            ),
        ]
    endpoint = summary.get("endpoint")
    if endpoint:
        detail = endpoint.get("reason") or (
            f"{endpoint.get('rows_sent')} rows in {endpoint.get('latency_ms')} ms, first: "
            f"{endpoint.get('sample_prediction')}"
        )
        lines += [format_pairs([("endpoint", f"{endpoint['status']}: {detail}")])]
    batch = summary.get("batch_transform")
    if batch:
        lines += [
            format_pairs([("batch transform", f"{batch['records']} lines -> {batch['output']}")])
        ]
    if summary.get("error"):
        lines += ["", f"error: {summary['error']}"]
    return "\n".join(lines)


# -- executions ----------------------------------------------------------------------------------
def executions_list(args: argparse.Namespace) -> int:
    workspace = _local_workspace(args)
    executions = workspace.runner().list_executions()
    rows = [
        {
            "id": e.execution_id,
            "pipeline": e.pipeline_name,
            "status": e.status,
            "started": e.start_time.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": round((e.end_time - e.start_time).total_seconds(), 1)
            if e.end_time
            else None,
        }
        for e in executions
    ]
    if args.output == "json":
        print_json(rows)
    else:
        print(format_table(rows, ["id", "pipeline", "status", "started", "seconds"]))
    return 0


def executions_describe(args: argparse.Namespace) -> int:
    from orchestrator.backends.local.errors import UnknownExecutionError

    workspace = _local_workspace(args)
    runner = workspace.runner()
    execution_id = args.execution_id
    if execution_id == "latest":
        executions = runner.list_executions()
        if not executions:
            raise UserError("there are no executions yet; start one with 'orchestrator run'")
        execution_id = executions[0].execution_id
    try:
        execution = runner.describe(execution_id)
    except UnknownExecutionError as exc:
        raise UserError(f"{exc}; list them with 'orchestrator executions list'") from None
    if args.output == "json":
        print_json(execution.model_dump(mode="json"))
        return 0
    print(
        format_pairs(
            [
                ("execution", execution.execution_id),
                ("pipeline", execution.pipeline_name),
                ("status", execution.status),
                ("failure", execution.failure_reason),
                ("logs", runner.log_dir(execution.execution_id)),
            ]
        )
    )
    print()
    rows = [
        {
            "step": s.name,
            "type": s.type,
            "status": s.status,
            "cached from": s.cache_hit_source,
            "seconds": round((s.end_time - s.start_time).total_seconds(), 2)
            if s.end_time
            else None,
            "failure": s.failure_reason,
        }
        for s in execution.steps
    ]
    print(format_table(rows, ["step", "type", "status", "cached from", "seconds", "failure"]))
    return 0


# -- models --------------------------------------------------------------------------------------
def _package_row(package: ModelPackage) -> dict[str, Any]:
    return {
        "version": package.version,
        "status": package.approval_status,
        "created": package.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "metrics": {k: round(v, 4) for k, v in sorted(package.metrics.items())},
        "model": package.model_data_url,
    }


def models_list(args: argparse.Namespace) -> int:
    workspace = _registry_workspace(args)
    registry = workspace.registry()
    group = workspace.model_group
    packages = registry.list_versions(group, args.status) if group in registry.list_groups() else []
    if args.output == "json":
        print_json([p.model_dump(mode="json") for p in packages])
    else:
        print(f"model package group {group}")
        print(
            format_table(
                [_package_row(p) for p in packages], ["version", "status", "created", "metrics"]
            )
        )
    return 0


def _set_status(args: argparse.Namespace, status: str) -> int:
    from orchestrator.backends.model_registry import RegistryError

    workspace = _registry_workspace(args)
    if workspace.model_group not in workspace.registry().list_groups():
        raise UserError(
            f"model package group {workspace.model_group} has no versions yet; train and "
            f"register one with 'orchestrator run --env {args.env}' first"
        )
    try:
        package = workspace.registry().set_status(
            workspace.model_group,
            args.version,
            status,
            args.reason,  # type: ignore[arg-type]
        )
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    if args.output == "json":
        print_json(package.model_dump(mode="json"))
    else:
        print(f"{package.group} v{package.version}: {package.approval_status}")
    return 0


def models_approve(args: argparse.Namespace) -> int:
    return _set_status(args, "Approved")


def models_reject(args: argparse.Namespace) -> int:
    return _set_status(args, "Rejected")


# -- endpoint and batch transform ----------------------------------------------------------------
def _package_to_serve(workspace: Any, version: int | None) -> ModelPackage:
    from orchestrator.backends.model_registry import RegistryError

    registry = workspace.registry()
    group = workspace.model_group
    try:
        package = registry.get(group, version) if version is not None else None
    except RegistryError as exc:
        raise UserError(f"{exc}; list versions with 'orchestrator models list'") from None
    if package is None:
        package = registry.latest_approved(group) if group in registry.list_groups() else None
        if package is None:
            raise UserError(
                f"model package group {group} has no Approved version; run 'orchestrator run' "
                "or approve one with 'orchestrator models approve <version>'"
            )
    if package.approval_status != "Approved":
        raise UserError(
            f"version {package.version} is {package.approval_status}; only Approved versions are "
            f"served. Approve it with 'orchestrator models approve {package.version}'"
        )
    return package


def endpoint_serve(args: argparse.Namespace) -> int:
    from orchestrator.backends.local.endpoint import LocalEndpoint, serve_in_foreground
    from orchestrator.backends.local.serving_errors import EndpointError

    workspace = _local_workspace(args)
    package = _package_to_serve(workspace, args.version)
    port = args.port if args.port is not None else workspace.config.endpoint.port
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port} is not a TCP port; use 1-65535")
    try:
        endpoint = LocalEndpoint(
            workspace.store_root,
            workspace.endpoints_root,
            port=port,
            workers=workspace.config.endpoint.workers or 1,
        )
    except (OSError, EndpointError) as exc:
        raise UserError(f"cannot listen on 127.0.0.1:{port} ({exc}); pick another --port") from None
    with endpoint:
        endpoint.deploy(package)
        print(
            f"serving {package.group} v{package.version} at {endpoint.url}/invocations "
            "(Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        serve_in_foreground(endpoint)
    return 0


def _data_processing(args: argparse.Namespace):  # -> DataProcessing
    """The DataProcessing flags, checked before a model server starts: a bad filter is a usage
    mistake (exit 2), not a failed transform."""
    from orchestrator.backends.local.batch_transform import DataProcessing
    from orchestrator.backends.local.csv_jsonpath import parse_filter
    from orchestrator.backends.local.serving_errors import BatchTransformError

    processing = DataProcessing(args.input_filter, args.join_source, args.output_filter)
    try:
        parse_filter(processing.input_filter, "--input-filter")
        parse_filter(processing.output_filter, "--output-filter")
    except BatchTransformError as exc:
        raise UserError(str(exc)) from None
    if processing != DataProcessing() and args.content_type != "text/csv":
        raise UserError(
            "--input-filter, --join-source and --output-filter work on CSV only; use "
            "--content-type text/csv or drop them"
        )
    return processing


def batch_transform(args: argparse.Namespace) -> int:
    from orchestrator.backends.local.batch_transform import run_batch_transform
    from orchestrator.backends.local.model_unpack import unpack_model

    config = _environment(args)
    if config.backend == "aws":
        from orchestrator.cli.handlers_aws import batch_transform_aws

        return batch_transform_aws(args, config)
    from orchestrator.cli.handlers_aws import local_batch_paths

    args.input, args.output_file = local_batch_paths(args)
    workspace = _local_workspace(args, config)
    if not args.input.is_file():
        raise UserError(f"--input {args.input} does not exist; pass a CSV or JSON Lines file")
    processing = _data_processing(args)
    package = _package_to_serve(workspace, args.version)
    model_dir = unpack_model(package, workspace.store_root, workspace.endpoints_root)
    accept = "text/csv" if args.content_type == "text/csv" else "application/jsonlines"
    result = run_batch_transform(
        args.input,
        args.output_file,
        model_dir=model_dir,
        work_dir=workspace.batch_root,
        content_type=args.content_type,
        accept=accept,
        data_processing=processing,
    )
    print(
        format_pairs(
            [
                ("model", f"{package.group} v{package.version}"),
                ("records", result.records),
                ("requests", result.requests),
                ("output", result.output_path),
            ]
        )
    )
    return 0


# -- schema --------------------------------------------------------------------------------------
def schema_infer(args: argparse.Namespace) -> int:
    """Draft a schema from a CSV: to ``--out`` (never silently replaced) or stdout."""
    from orchestrator.data.schema_draft import check_writable, infer_schema, write_draft

    if args.out is not None:
        check_writable(args.out, args.force)  # before profiling a large file, not after
    text, schema = infer_schema(args.data, target=args.target, problem_type=args.problem_type)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_draft(text, args.out, force=args.force)
    ids = f", ID columns {', '.join(schema.id_columns)}" if schema.id_columns else ""
    print(
        f"wrote {args.out}: {schema.problem_type.value}, target {schema.target.name!r}, "
        f"{len(schema.features)} features{ids}. Review it, then run: orchestrator run --env "
        f"local --data {args.data} --schema {args.out}",
        file=sys.stderr,
    )
    return 0
