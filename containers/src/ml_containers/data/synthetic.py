"""A synthetic customer table at any size, for benchmarks and tests.

Rows are generated and written ``CHUNK_ROWS`` at a time (numpy, then pyarrow's CSV writer), so
memory stays flat and a million rows take a few seconds. Columns, categories and ranges come
from the bundled schema (``schemas/synthetic_<problem>.yaml``), so the data and its schema agree.

The target is a fixed function of the features plus noise (:func:`_latent_scores`), so a model can
learn it: churn (binary) rises with support calls and utilization and falls with satisfaction
and tenure; the segment (multiclass, ordinal) follows spend, products and balance; lifetime value
(regression) is a smooth function of spend, tenure, plan and calls. Nullable columns have about
2% missing values.

On request a fraction of rows is made bad, one problem each, spread evenly over
:data:`BAD_ROW_KINDS`; preprocessing must reject exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import Column, ColumnType, DatasetSchema, ProblemType
from .bundled import SYNTHETIC_SCHEMAS, load_bundled_schema
from .writer import TableCsvWriter

CHUNK_ROWS = 100_000
MISSING_RATE = 0.02
BAD_ROW_KINDS = (
    "out_of_range",
    "unknown_category",
    "unparseable_number",
    "missing_target",
    "duplicate",
)
UNKNOWN_CATEGORY = "atlantis"
UNPARSEABLE_NUMBER = "about 40"


@dataclass
class SyntheticSummary:
    """What was written: row count, schema and the bad rows injected per kind."""

    out: str
    rows: int
    schema: str
    problem_type: str
    seed: int
    bad_rows_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(BAD_ROW_KINDS, 0)
    )

    @property
    def bad_rows(self) -> int:
        return sum(self.bad_rows_by_kind.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "out": self.out,
            "rows": self.rows,
            "schema": self.schema,
            "problem_type": self.problem_type,
            "seed": self.seed,
            "bad_rows": self.bad_rows,
            "bad_rows_by_kind": self.bad_rows_by_kind,
        }


def _column(schema: DatasetSchema, name: str) -> Column:
    for column in schema.features:
        if column.name == name:
            return column
    raise ValueError(f"bundled schema {schema.name!r} has no column {name!r} the generator needs")


def _standard(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    return (values - mean) / std


def _draw_features(
    rng: np.random.Generator, n: int, schema: DatasetSchema
) -> dict[str, np.ndarray]:
    """Complete feature values (no missing yet): numbers as floats, categories as codes."""
    age = rng.integers(18, 91, n).astype(np.float64)
    tenure = np.minimum(rng.gamma(2.0, 24.0, n).round(), (age - 18) * 12)
    spend = np.minimum(rng.lognormal(4.0, 0.6, n), 100_000).round(2)
    balance = np.clip(rng.normal(2_000.0, 5_000.0, n), -1e6, 1e6).round(2)
    products = np.minimum(1 + rng.poisson(1.5, n), 10).astype(np.float64)
    calls = np.minimum(rng.poisson(2.0, n), 100).astype(np.float64)
    utilization = rng.beta(2.0, 5.0, n).round(3)
    satisfaction = np.clip(rng.normal(7.0, 1.8, n), 0, 10).round(1)

    def categorical(name: str, weights: list[float]) -> np.ndarray:
        categories = _column(schema, name).categories or []
        if len(weights) != len(categories):
            raise ValueError(f"synthetic generator and schema disagree on {name!r} categories")
        return rng.choice(len(categories), size=n, p=weights)

    return {
        "age": age,
        "tenure_months": tenure,
        "monthly_spend": spend,
        "balance": balance,
        "num_products": products,
        "support_calls": calls,
        "utilization": utilization,
        "satisfaction": satisfaction,
        "region": categorical("region", [0.2] * 5),
        "plan": categorical("plan", [0.5, 0.35, 0.15]),
        "channel": categorical("channel", [0.4, 0.3, 0.2, 0.1]),
        "has_promo": categorical("has_promo", [0.7, 0.3]),
    }


def _latent_scores(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The known functions the targets are drawn from (before noise)."""
    plan_basic = (f["plan"] == 0).astype(np.float64)
    plan_premium = (f["plan"] == 2).astype(np.float64)
    calls = _standard(f["support_calls"], 2.0, 1.4)
    satisfaction = _standard(f["satisfaction"], 7.0, 1.8)
    utilization = _standard(f["utilization"], 0.29, 0.16)
    tenure = _standard(f["tenure_months"], 48.0, 34.0)
    log_spend = _standard(np.log1p(f["monthly_spend"]), 4.0, 0.6)
    churn = (
        1.0 * calls
        - 1.1 * satisfaction
        + 0.8 * utilization
        - 0.7 * tenure
        + 0.6 * plan_basic
        - 0.6 * plan_premium
        + 0.5 * (f["channel"] == 3)
        - 0.4 * (f["has_promo"] == 1)
        + 0.3 * np.sin(f["age"] / 8.0)
    )
    segment = (
        1.3 * log_spend
        + 0.7 * _standard(f["num_products"], 2.5, 1.2)
        + 0.5 * _standard(f["balance"], 2_000.0, 5_000.0)
        + 0.8 * plan_premium
        - 0.6 * plan_basic
    )
    value = (
        500.0
        + 220.0 * log_spend
        + 120.0 * tenure
        + 150.0 * plan_premium
        - 90.0 * plan_basic
        - 60.0 * calls
        + 50.0 * np.sin(f["age"] / 8.0)
    )
    return {"churn": churn, "segment": segment, "value": value}


def _targets(
    rng: np.random.Generator, schema: DatasetSchema, features: dict[str, np.ndarray]
) -> pa.Array:
    scores = _latent_scores(features)
    n = len(features["age"])
    if schema.problem_type is ProblemType.BINARY:
        probability = 1.0 / (1.0 + np.exp(-(1.6 * scores["churn"] - 1.0)))
        codes = (rng.random(n) < probability).astype(np.int64)
    elif schema.problem_type is ProblemType.MULTICLASS:
        noisy = scores["segment"] + rng.logistic(0.0, 0.35, n)
        codes = np.digitize(noisy, [-0.6, 0.9])
    else:
        return pa.array((scores["value"] + rng.normal(0.0, 60.0, n)).round(2))
    return pa.array(schema.classes, type=pa.string()).take(pa.array(codes))


def _as_arrow(
    schema: DatasetSchema, features: dict[str, np.ndarray], missing: dict[str, np.ndarray]
) -> dict[str, pa.Array]:
    columns: dict[str, pa.Array] = {}
    for column in schema.features:
        values, mask = features[column.name], missing[column.name]
        if column.type is ColumnType.CATEGORICAL:
            categories = [*(column.categories or []), UNKNOWN_CATEGORY]
            codes = pa.array(values.astype(np.int64), mask=mask)
            columns[column.name] = pa.array(categories, type=pa.string()).take(codes)
        elif column.type is ColumnType.INTEGER:
            columns[column.name] = pa.array(values.astype(np.int64), mask=mask)
        else:
            columns[column.name] = pa.array(values, mask=mask)
    return columns


class _BadRows:
    """Picks the bad rows of one chunk and the kind of problem each gets."""

    def __init__(self, rng: np.random.Generator, n: int, fraction: float) -> None:
        bad = rng.random(n) < fraction
        kinds = np.where(bad, rng.integers(0, len(BAD_ROW_KINDS), n), -1)
        duplicate = kinds == BAD_ROW_KINDS.index("duplicate")
        # A duplicate copies the previous row, which must itself be clean (else it would be
        # rejected for that row's problem, not as a duplicate); otherwise it goes out of range.
        clean_before = np.zeros(n, dtype=bool)
        clean_before[1:] = ~bad[:-1]
        kinds[duplicate & ~clean_before] = BAD_ROW_KINDS.index("out_of_range")
        self.kinds = kinds

    def rows(self, kind: str) -> np.ndarray:
        return self.kinds == BAD_ROW_KINDS.index(kind)


def _chunk(
    rng: np.random.Generator,
    schema: DatasetSchema,
    start: int,
    n: int,
    bad_fraction: float,
    summary: SyntheticSummary,
) -> pa.Table:
    features = _draw_features(rng, n, schema)
    target = _targets(rng, schema, features)
    missing = {
        c.name: (rng.random(n) < MISSING_RATE) if c.nullable else np.zeros(n, dtype=bool)
        for c in schema.features
    }
    ids = np.arange(start + 1, start + n + 1, dtype=np.int64)
    bad = _BadRows(rng, n, bad_fraction)
    for kind in BAD_ROW_KINDS:
        summary.bad_rows_by_kind[kind] += int(bad.rows(kind).sum())

    source = np.arange(n)
    duplicate = bad.rows("duplicate")
    source[duplicate] -= 1
    features = {name: values[source] for name, values in features.items()}
    missing = {name: values[source] for name, values in missing.items()}
    ids, target = ids[source], target.take(pa.array(source))

    features["age"] = np.where(bad.rows("out_of_range"), rng.integers(101, 200, n), features["age"])
    unknown = bad.rows("unknown_category")
    region_categories = _column(schema, "region").categories or []
    features["region"] = np.where(unknown, len(region_categories), features["region"])
    missing["region"] = missing["region"] & ~unknown
    columns = _as_arrow(schema, features, missing)
    spend_text = pc.cast(columns["monthly_spend"], pa.string())
    columns["monthly_spend"] = pc.if_else(
        pa.array(bad.rows("unparseable_number")), UNPARSEABLE_NUMBER, spend_text
    )
    target = pc.if_else(pa.array(bad.rows("missing_target")), pa.scalar(None, target.type), target)
    arrays = {schema.id_columns[0]: pa.array(ids), **columns, schema.target.name: target}
    return pa.table(arrays)


def write_synthetic(
    out: Path,
    rows: int,
    problem_type: ProblemType = ProblemType.BINARY,
    seed: int = 0,
    bad_fraction: float = 0.0,
) -> SyntheticSummary:
    """Write ``rows`` synthetic rows (header first) to ``out``; returns what was injected."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    if not 0 <= bad_fraction < 1:
        raise ValueError("bad_fraction must be in [0, 1)")
    schema_name = SYNTHETIC_SCHEMAS[problem_type]
    schema = load_bundled_schema(schema_name)
    if len(schema.id_columns) != 1:
        raise ValueError(f"bundled schema {schema_name!r} must name exactly one ID column")
    summary = SyntheticSummary(
        out=str(out), rows=rows, schema=schema.name, problem_type=problem_type.value, seed=seed
    )
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer: TableCsvWriter | None = None
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            table = _chunk(rng, schema, start, n, bad_fraction, summary)
            if writer is None:
                writer = TableCsvWriter(handle, table.schema)
            writer.write(table)
        if writer is not None:
            writer.close()
    return summary
