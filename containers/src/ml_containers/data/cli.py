"""``generate-data``: write the demo datasets and synthetic data as CSV (plus their schema).

    generate-data demo --out FILE [--dataset breast_cancer|wine|diabetes] [--schema-out FILE]
    generate-data synthetic --rows N --out FILE [--seed S] [--bad-rows FRACTION]
                  [--problem-type binary|multiclass|regression] [--schema-out FILE]

Prints one JSON line describing what was written. Exit codes: 0 written; 1 the output could not
be written (the reason on stderr); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cliargs import fraction, positive_int, seed
from ..schema import ProblemType
from .bundled import DEMO_DATASETS, SYNTHETIC_SCHEMAS, write_schema
from .demo import write_demo
from .synthetic import BAD_ROW_KINDS, write_synthetic

_PROBLEM_TYPES = {
    "binary": ProblemType.BINARY,
    "multiclass": ProblemType.MULTICLASS,
    "regression": ProblemType.REGRESSION,
    **{p.value: p for p in ProblemType},
}


def _problem_type(text: str) -> ProblemType:
    try:
        return _PROBLEM_TYPES[text]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a problem type; choose binary, multiclass or regression"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate-data", description="Write demo or synthetic tabular data as CSV."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{demo,synthetic}")
    demo = commands.add_parser("demo", help="a real dataset that ships inside scikit-learn")
    demo.add_argument("--out", type=Path, required=True, help="CSV file to write")
    demo.add_argument("--dataset", choices=DEMO_DATASETS, default="breast_cancer")
    demo.add_argument("--schema-out", type=Path, help="also write the matching schema here")
    synthetic = commands.add_parser(
        "synthetic", help="a synthetic customer table with numeric and categorical columns"
    )
    synthetic.add_argument("--rows", type=positive_int, required=True, help="number of data rows")
    synthetic.add_argument("--out", type=Path, required=True, help="CSV file to write")
    synthetic.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    synthetic.add_argument(
        "--bad-rows",
        type=fraction(allow_zero=True, allow_one=False),
        default=0.0,
        help=f"fraction of rows made invalid, spread over {', '.join(BAD_ROW_KINDS)} (0)",
    )
    synthetic.add_argument(
        "--problem-type",
        type=_problem_type,
        default=ProblemType.BINARY,
        help="binary (churned), multiclass (segment) or regression (lifetime_value)",
    )
    synthetic.add_argument("--schema-out", type=Path, help="also write the matching schema here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            rows = write_demo(args.dataset, args.out)
            summary: dict[str, object] = {
                "out": str(args.out),
                "rows": rows,
                "schema": args.dataset,
            }
            schema_name = args.dataset
        else:
            result = write_synthetic(
                args.out, args.rows, args.problem_type, seed=args.seed, bad_fraction=args.bad_rows
            )
            summary = result.to_dict()
            schema_name = SYNTHETIC_SCHEMAS[args.problem_type]
        if args.schema_out is not None:
            write_schema(schema_name, args.schema_out)
            summary["schema_out"] = str(args.schema_out)
    except OSError as exc:
        where = exc.filename or args.out
        print(f"generate-data: error: cannot write {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
