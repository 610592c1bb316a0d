"""``orchestrator batch-transform``: score a file (local) or an S3 object (aws) with a version.

The flags are SageMaker's TransformJob names: ``--input-filter``, ``--join-source``,
``--output-filter`` (DataProcessing, CSV only).
"""

from __future__ import annotations

import argparse

from orchestrator.cli import options
from orchestrator.cli.registry import command

DEFAULT_TRANSFORM_TIMEOUT_SECONDS = 3600.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    options.environment(parser, output_format=False)  # --output is the output location here
    parser.add_argument(
        "--input", required=True, help="local: CSV/JSON Lines file; aws: s3:// URI of the input"
    )
    parser.add_argument(
        "--output",
        dest="output_file",
        help="local: output file (required); aws: s3:// prefix (default: artifacts)",
    )
    parser.add_argument("--version", type=int, help="model version (default: latest approved)")
    parser.add_argument(
        "--content-type",
        default="text/csv",
        choices=("text/csv", "application/jsonlines"),
        help="input format (default text/csv)",
    )
    parser.add_argument(
        "--input-filter",
        default="$",
        help="fields sent to the model, e.g. '$[1:]' drops a leading ID column (default '$')",
    )
    parser.add_argument(
        "--join-source",
        choices=("None", "Input"),
        default="None",
        help="Input: append each prediction to its input line (default None)",
    )
    parser.add_argument(
        "--output-filter",
        default="$",
        help="fields written out, e.g. '$[0,-1]' keeps the ID and the last field (default '$')",
    )
    options.dataset(parser)
    options.stack(parser)
    options.waiting(parser)


@command("batch-transform", help="predict every line of a file", arguments=_arguments)
def batch_transform(args: argparse.Namespace) -> int:
    from orchestrator.backends.base import BatchRequest
    from orchestrator.cli import context
    from orchestrator.cli.console import format_pairs, say
    from orchestrator.flows.batch import batch_transform as transform
    from orchestrator.flows.models import dataset_group

    request = BatchRequest(
        input=args.input,
        output=args.output_file,
        content_type=args.content_type,
        input_filter=args.input_filter,
        join_source=args.join_source,
        output_filter=args.output_filter,
    )
    poll = context.poll(args, DEFAULT_TRANSFORM_TIMEOUT_SECONDS)
    config = context.environment(args)
    with context.backend(args, config) as backend:
        group = dataset_group(backend, config, args.dataset)
        package, result = transform(backend, request, args.version, group, poll, say)
    pairs = [
        ("model", f"{package.group} v{package.version}"),
        ("job", result.job_name),
        ("status", result.status),
        ("records", result.records),
        ("requests", result.requests),
        ("output", result.output),
    ]
    print(format_pairs([(k, v) for k, v in pairs if v is not None]))
    return 0
