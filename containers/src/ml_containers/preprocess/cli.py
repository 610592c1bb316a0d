"""``preprocess``: the Processing job's entry point (``ContainerEntrypoint: ["preprocess", ...]``).

Exit codes: 0 success; 1 the data, schema or settings make the job impossible (the reason is on
stderr and in ``/opt/ml/output/message``); 2 bad command-line arguments (argparse's message).

On several hosts (``/opt/ml/config/resourceconfig.json`` names more than one) the first host
runs XGBoost's collective tracker and every host joins it, as training does
(:mod:`ml_containers.cluster`); :mod:`.distributed` says what the hosts exchange.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence

from .. import paths
from ..cliargs import fraction, positive_int, seed
from ..cluster import collective, processing_resource_config_file, read_cluster, tracking
from ..schema import SchemaError
from ..train.failure import JobFailure
from .errors import PreprocessError, report_failure
from .inputs import INPUT_DATA_DIR, INPUT_SCHEMA_DIR, OUTPUT_DIR
from .pipeline import PreprocessConfig, run_preprocess

# A host reaches the first exchange when its scan ends, so it may wait there as long as the
# slowest host's scan takes beyond its own (uneven files): far longer than training's all-reduces.
# The job's MaxRuntimeInSeconds bounds it too; a host that dies is noticed at once (closed socket).
EXCHANGE_TIMEOUT = 6 * 3600


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="preprocess",
        description=(
            f"Validate, split and transform the CSV files in {INPUT_DATA_DIR} against the schema "
            f"in {INPUT_SCHEMA_DIR}; outputs go below {OUTPUT_DIR}. OPT_ML_ROOT re-roots /opt/ml."
        ),
    )
    parser.add_argument(
        "--rejection-threshold",
        type=fraction(allow_zero=True, allow_one=True),
        default=0.05,
        help="fail when more than this fraction of rows is rejected (default 0.05)",
    )
    parser.add_argument(
        "--validation-fraction",
        type=fraction(allow_zero=False, allow_one=False),
        default=0.15,
        help="share of accepted rows in the validation split (default 0.15)",
    )
    parser.add_argument(
        "--test-fraction",
        type=fraction(allow_zero=False, allow_one=False),
        default=0.15,
        help="share of accepted rows in the test split (default 0.15)",
    )
    parser.add_argument("--seed", type=seed, default=42, help="split and sampling seed (42)")
    parser.add_argument(
        "--chunk-rows",
        type=positive_int,
        default=100_000,
        help="rows per streamed chunk; bounds memory, does not change outputs (100000)",
    )
    parser.add_argument(
        "--train-parts",
        type=positive_int,
        default=1,
        help="write the train split as this many part files, one per training host, so a "
        "ShardedByS3Key channel gives each host some (default 1: train/train.csv)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.validation_fraction + args.test_fraction >= 1:
        parser.error(
            "--validation-fraction plus --test-fraction must be below 1 so that training keeps "
            f"some rows (got {args.validation_fraction:g} + {args.test_fraction:g})"
        )
    config = PreprocessConfig(
        input_dir=paths.reroot(INPUT_DATA_DIR),
        schema_dir=paths.reroot(INPUT_SCHEMA_DIR),
        output_dir=paths.reroot(OUTPUT_DIR),
        rejection_threshold=args.rejection_threshold,
        validation_fraction=args.validation_fraction,
        test_fraction=args.test_fraction,
        seed=args.seed,
        chunk_rows=args.chunk_rows,
        train_parts=args.train_parts,
    )
    try:
        report = _run_on_cluster(config)
    except (PreprocessError, SchemaError, JobFailure) as exc:
        report_failure(str(exc))
        return 1
    except OSError as exc:
        report_failure(f"cannot read or write {exc.filename or 'a file'}: {exc.strerror or exc}")
        return 1
    except Exception as exc:  # a bug: keep the traceback for the logs, still leave a reason
        traceback.print_exc()
        report_failure(f"internal error in preprocess: {type(exc).__name__}: {exc}")
        return 1
    summary = {
        key: report[key]
        for key in ("schema", "rows_in", "rows_accepted", "rows_rejected", "splits")
    }
    print(json.dumps(summary))
    return 0


def _run_on_cluster(config: PreprocessConfig) -> dict:
    """Run on this host of the job's cluster; the first of several hosts keeps the tracker up
    until every host has left (or frees it at once after a failure)."""
    cluster = read_cluster(processing_resource_config_file())
    # Every host raises a PreprocessError together (the hosts share their scans' errors and
    # check the same merged report), so the tracker lets them leave as after a success.
    with (
        tracking(cluster, shared_errors=(PreprocessError,)),
        collective(cluster, default_timeout=EXCHANGE_TIMEOUT),
    ):
        return run_preprocess(config, cluster)


if __name__ == "__main__":
    sys.exit(main())
