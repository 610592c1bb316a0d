"""The ``orchestrator`` command: parse arguments, call one command function, print, exit.

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
from pathlib import Path

from orchestrator.errors import UserError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command to get help from."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}. Run '{self.prog} --help' for usage.\n")


def _common(output_format: bool = True) -> argparse.ArgumentParser:
    """Flags every command takes. batch-transform's ``--output`` is a file, so it goes without
    the ``--output table|json`` flag and always prints a table."""
    parent = _Parser(add_help=False)
    parent.add_argument("--env", default="local", help="environment name (default: local)")
    parent.add_argument(
        "--environments-dir", type=Path, default=None, help="folder of <env>.yaml files"
    )
    if output_format:
        parent.add_argument(
            "--output", choices=("table", "json"), default="table", help="table (default) or json"
        )
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="orchestrator",
        description="Build, run and deploy the SageMaker ML pipeline: locally (--env local, the "
        "default) or on AWS (--env dev|staging|prod).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser(
        "run", parents=[common], help="run the whole job: pipeline, register, serve, batch"
    )
    run.add_argument("--data", type=Path, help="a CSV to train on instead of the environment's")
    run.add_argument("--schema", type=Path, help="the dataset schema for --data")
    run.set_defaults(handler="run")

    executions = commands.add_parser("executions", help="pipeline executions").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    executions.add_parser("list", parents=[common], help="list executions").set_defaults(
        handler="executions_list"
    )
    describe = executions.add_parser("describe", parents=[common], help="one execution's steps")
    describe.add_argument("execution_id", help="an id from 'executions list' (or 'latest')")
    describe.set_defaults(handler="executions_describe")

    models = commands.add_parser("models", help="the model registry").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    listing = models.add_parser("list", parents=[common], help="list model versions")
    listing.add_argument("--status", choices=("PendingManualApproval", "Approved", "Rejected"))
    listing.set_defaults(handler="models_list")
    for action in ("approve", "reject"):
        change = models.add_parser(action, parents=[common], help=f"{action} a model version")
        change.add_argument("version", type=int, help="the version number in the group")
        change.add_argument("--reason", default="", help="recorded with the status change")
        change.set_defaults(handler=f"models_{action}")

    endpoint = commands.add_parser("endpoint", help="local endpoint").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    serve = endpoint.add_parser(
        "serve", parents=[common], help="serve the latest approved model (foreground)"
    )
    serve.add_argument("--port", type=int, help="port on 127.0.0.1 (default: environment's)")
    serve.add_argument("--version", type=int, help="a specific approved version")
    serve.set_defaults(handler="endpoint_serve")

    batch = commands.add_parser(
        "batch-transform",
        parents=[_common(output_format=False)],
        help="predict every line of a file",
    )
    batch.add_argument("--input", type=Path, required=True, help="CSV/JSON Lines input file")
    batch.add_argument("--output", dest="output_file", type=Path, required=True, help="output file")
    batch.add_argument("--version", type=int, help="model version (default: latest approved)")
    batch.add_argument(
        "--content-type",
        default="text/csv",
        choices=("text/csv", "application/jsonlines"),
        help="input format (default text/csv)",
    )
    _add_data_processing_flags(batch)
    batch.set_defaults(handler="batch_transform")
    _add_schema_commands(commands)
    _add_aws_commands(commands)
    return parser


def _add_data_processing_flags(batch: argparse.ArgumentParser) -> None:
    """SageMaker's TransformJob DataProcessing, by its own names (CSV input and output only)."""
    batch.add_argument(
        "--input-filter",
        default="$",
        help="fields sent to the model, e.g. '$[1:]' drops a leading ID column (default '$')",
    )
    batch.add_argument(
        "--join-source",
        choices=("None", "Input"),
        default="None",
        help="Input: append each prediction to its input line (default None)",
    )
    batch.add_argument(
        "--output-filter",
        default="$",
        help="fields written out, e.g. '$[0,-1]' keeps the ID and the last field (default '$')",
    )


def _add_schema_commands(commands: argparse._SubParsersAction) -> None:
    """``schema infer``: draft a dataset schema from a CSV (reads no environment file)."""
    schema = commands.add_parser("schema", help="dataset schema files").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    infer = schema.add_parser(
        "infer", help="draft a schema from a CSV for you to review (YAML with comments)"
    )
    infer.add_argument("--data", type=Path, required=True, help="the CSV, with a header row")
    infer.add_argument("--target", help="the column to predict (default: the last column)")
    infer.add_argument(
        "--problem-type",
        help="binary, multiclass or regression (default: guessed from the target)",
    )
    infer.add_argument("--out", type=Path, help="write the draft here (default: stdout)")
    infer.add_argument("--force", action="store_true", help="replace an existing --out file")
    infer.set_defaults(handler="schema_infer")


def _local_path_or_s3_uri(value: str) -> Path | str:
    """A local file (Path) or an ``s3://`` URI kept as text (``Path`` would fold its ``//``)."""
    return value if value.startswith("s3://") else Path(value)


def _add_aws_commands(commands: argparse._SubParsersAction) -> None:
    """render, infra, pipeline, deploy, rollback; and the flags aws environments add to the
    shared commands (run, models, batch-transform): ``--stack-outputs`` and friends."""
    common = _common()
    outputs_flags = _Parser(add_help=False)
    outputs_flags.add_argument(
        "--stack-outputs",
        type=Path,
        metavar="FILE",
        help="aws: the JSON `terraform output -json` printed (default: read the stack's state)",
    )
    terraform_flags = _Parser(add_help=False)
    terraform_flags.add_argument(
        "--terraform-dir", type=Path, help="the Terraform root module (default: ./terraform)"
    )
    wait_flags = _Parser(add_help=False)
    wait_flags.add_argument("--timeout", type=float, help="seconds to wait at most")
    wait_flags.add_argument(
        "--poll-interval", type=float, default=30.0, help="seconds between checks (default 30)"
    )
    with_outputs = [common, outputs_flags, terraform_flags]

    render = commands.add_parser(
        "render", parents=[common, terraform_flags], help="render <env>.tfvars.json"
    )
    render.add_argument(
        "--check", action="store_true", help="exit 1 when the committed file is stale"
    )
    render.set_defaults(handler="render")

    infra = commands.add_parser("infra", help="Terraform: plan, apply, output").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    for action, text in (
        ("plan", "init with the environment's backend and save a plan"),
        ("apply", "plan, apply exactly that plan, read the outputs"),
        ("output", "print `terraform output -json` (checked against the contract)"),
    ):
        infra.add_parser(action, parents=[common, terraform_flags], help=text).set_defaults(
            handler=f"infra_{action}"
        )

    pipeline = commands.add_parser("pipeline", help="the SageMaker pipeline").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    pipeline.add_parser(
        "upsert", parents=with_outputs, help="create/update the pipeline (shows the diff)"
    ).set_defaults(handler="pipeline_upsert")
    start = pipeline.add_parser("start", parents=with_outputs, help="start an execution")
    start.set_defaults(handler="pipeline_start")
    wait = pipeline.add_parser(
        "wait", parents=[*with_outputs, wait_flags], help="wait for an execution to end"
    )
    wait.add_argument("--execution", help="execution ARN (default: the latest)")
    wait.set_defaults(handler="pipeline_wait")

    deploy = commands.add_parser(
        "deploy", parents=[*with_outputs, wait_flags], help="blue/green deploy to the endpoint"
    )
    deploy.add_argument(
        "--model-package",
        default="latest-approved",
        metavar="ARN|latest-approved",
        help="the model version to serve (default: latest-approved)",
    )
    deploy.set_defaults(handler="deploy")
    commands.add_parser(
        "rollback", parents=[*with_outputs, wait_flags], help="return to the previous model"
    ).set_defaults(handler="rollback")

    # Flags the shared commands take for aws environments.
    parameter_help = "pipeline parameter override NAME=VALUE (repeatable)"
    for parser in (start, commands.choices["run"]):
        parser.add_argument("--parameter", action="append", default=[], help=parameter_help)
    run = commands.choices["run"]
    for flags in (outputs_flags, terraform_flags, wait_flags):
        for action in flags._actions:
            run._add_action(action)
    models = commands.choices["models"]
    for sub in _subparsers(models):
        for action in outputs_flags._actions + terraform_flags._actions:
            sub._add_action(action)
    batch = commands.choices["batch-transform"]
    for action in outputs_flags._actions + terraform_flags._actions + wait_flags._actions:
        batch._add_action(action)
    for action in batch._actions:
        if action.dest == "input":
            action.type = _local_path_or_s3_uri
            action.help = "local: CSV/JSON Lines file; aws: s3:// URI of the input"
        elif action.dest == "output_file":
            action.type = _local_path_or_s3_uri
            action.required = False
            action.help = "local: output file (required); aws: s3:// prefix (default: artifacts)"


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return [
        sub
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for sub in action.choices.values()
    ]


def _error_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(user mistakes -> exit 2, work that failed -> exit 1). Each module raises its own error
    type with a message that names the problem and the fix; the CLI only sorts them."""
    from ml_containers.schema import SchemaError

    from orchestrator.backends.aws.errors import AwsOperationFailed
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
        AwsOperationFailed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from orchestrator.cli import handlers as commands  # imported late: `--help` stays fast

    user_errors, failures = _error_types()
    try:
        return int(getattr(commands, args.handler)(args) or 0)
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
