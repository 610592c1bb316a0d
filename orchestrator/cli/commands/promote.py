"""``orchestrator promote``: an Approved model of one environment into the next one's account."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.cli.console import show
from orchestrator.cli.registry import command

if TYPE_CHECKING:
    from orchestrator.images.copy import Endpoint


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-package",
        default="latest-approved",
        metavar="ARN|latest-approved",
        help="the source environment's Approved version (default: latest-approved)",
    )
    parser.add_argument("--from", dest="source", required=True, help="source environment (dev)")
    parser.add_argument(
        "--to", dest="target", required=True, help="target environment (staging, prod)"
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="the dataset whose group to read (default: the source's)"
    )
    parser.add_argument(
        "--from-stack-outputs", type=Path, required=True, metavar="FILE",
        help="the source stack's `terraform output -json` (CI: an artifact of the source's job)",
    )  # fmt: skip
    parser.add_argument(
        "--stack-outputs", type=Path, metavar="FILE",
        help="the target stack's `terraform output -json` (default: read it with terraform)",
    )  # fmt: skip
    parser.add_argument(
        "--from-profile", metavar="NAME", help="read the source with this AWS profile"
    )
    parser.add_argument(
        "--from-role-arn", metavar="ARN",
        help="read the source with this role of its account, assumed with the current credentials",
    )  # fmt: skip
    parser.add_argument(
        "--environments-dir", type=Path, default=None, help="folder of <env>.yaml files"
    )
    parser.add_argument(
        "--dry-run", action="store_true",
        help="read both sides and say what would be copied and registered; write nothing",
    )  # fmt: skip
    parser.add_argument(
        "--output", choices=("table", "json"), default="table", help="table (default) or json"
    )


@command("promote", help="copy an Approved model into the next environment", arguments=_arguments)
def promote(args: argparse.Namespace) -> int:
    from orchestrator.backends.aws.backend import aws_backend
    from orchestrator.backends.aws.promotion_source import source_session
    from orchestrator.cli.console import say
    from orchestrator.flows.promote import plan, source_package
    from orchestrator.flows.promote import promote as run_promotion
    from orchestrator.infra.stack import stack_outputs
    from orchestrator.settings.environment import load_environment

    source = load_environment(args.source, args.environments_dir)
    target = load_environment(args.target, args.environments_dir)
    _check_pair(source.name, source.backend, target.name, target.backend)
    session = source_session(source, target, args.from_profile, args.from_role_arn)
    source_outputs = stack_outputs(source, args.from_stack_outputs)
    target_outputs = stack_outputs(target, args.stack_outputs)
    with (
        aws_backend(source, source_outputs, session) as reader,
        aws_backend(target, target_outputs) as writer,
    ):
        package = source_package(reader, source, args.model_package, args.dataset)
        registries = _registries(session, source_outputs, target_outputs)
        if args.dry_run:
            result = plan(reader, writer, target, package, registries)
        else:
            result = run_promotion(reader, writer, (source, target), package, registries, say)
    rows = [(key, result.get(key)) for key in ("source", "action", "target", "approval_status")]
    if args.dry_run:
        rows += [("image", result.get("image")), *result.get("copies", {}).items()]
    show(args.output, result, [(key, str(value)) for key, value in rows])
    return 0


def _registries(session: Any, source: Any, target: Any) -> tuple[Endpoint, Endpoint]:
    """The source's repository with the source credentials' ECR login, the target's with the
    ambient credentials' (GetAuthorizationToken in each account)."""
    from orchestrator.backends.aws.ecr import registry_login
    from orchestrator.images.copy import Endpoint
    from orchestrator.images.reference import Repository

    source_ecr = session.client("ecr", region_name=source.region)
    return (
        Endpoint(Repository.parse(str(source.ecr_repository_url)), registry_login(source_ecr)),
        Endpoint(
            Repository.parse(str(target.ecr_repository_url)),
            registry_login(_target_ecr(target.region)),
        ),
    )


def _target_ecr(region: str) -> object:
    import boto3

    from orchestrator.backends.aws.clients import client_config

    return boto3.Session().client("ecr", region_name=region, config=client_config())


def _check_pair(source: str, source_backend: str, target: str, target_backend: str) -> None:
    from orchestrator.errors import UserError

    if source == target:
        raise UserError(f"--from and --to are both {source}; promote into another environment")
    for name, backend in ((source, source_backend), (target, target_backend)):
        if backend != "aws":
            raise UserError(
                f"environment {name} uses the {backend} backend: promote copies a model between "
                "AWS accounts (dev -> staging -> prod); a local model is already everywhere it "
                "runs"
            )
