"""``orchestrator schema infer``: draft a dataset schema from a CSV (reads no environment)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestrator.cli.registry import command, group

group("schema", "dataset schema files")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="the CSV, with a header row")
    parser.add_argument("--target", help="the column to predict (default: the last column)")
    parser.add_argument(
        "--problem-type", help="binary, multiclass or regression (default: guessed from the target)"
    )
    parser.add_argument("--out", type=Path, help="write the draft here (default: stdout)")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")


@command(
    "schema",
    "infer",
    help="draft a schema from a CSV for you to review (YAML with comments)",
    arguments=_arguments,
)
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
