"""Choosing, checking and staging the training data before anything runs.

The data is checked against its schema here, in seconds, so a CSV that does not match (a missing
column, a wrong type in most rows) fails before any training starts. Staged data lands in the
store under a content-addressed prefix (a digest of the CSV and the schema): a changed file gets
a new URI, so step caching, which SageMaker keys on arguments rather than on data, can never
reuse results computed from old data.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
from ml_containers.csvio import CsvFormatError, iter_text_chunks, read_header
from ml_containers.data.bundled import DEMO_DATASETS, load_bundled_schema, write_schema
from ml_containers.data.demo import write_demo
from ml_containers.preprocess.checks import CsvCheck, check_csv
from ml_containers.preprocess.errors import PreprocessError
from ml_containers.schema import DatasetSchema, SchemaError, load_schema
from ml_containers.validation import MISSING_TOKENS

from orchestrator.backends.base import ArtifactStore
from orchestrator.errors import UserError
from orchestrator.settings.environment import EnvironmentConfig

SCHEMA_NAME = "schema.yaml"
_CHUNK_ROWS = 100_000
_DISTINCT_TARGET_CAP = 10_000


class DataError(UserError):
    """The data or its schema cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class StagedDataset:
    """Data and schema as the pipeline sees them: ``s3://`` prefixes plus what was checked."""

    name: str
    source: str
    data_uri: str
    schema_uri: str
    schema: DatasetSchema
    check: CsvCheck


def choose_sources(
    config: EnvironmentConfig, data: Path | None, schema: Path | None
) -> tuple[Path | str, Path | None]:
    """(CSV path or ``demo:<name>``, schema path or None for a bundled demo schema)."""
    if data is not None:
        chosen_schema = schema or (
            config.resolve_path(config.dataset.schema_file) if config.dataset.schema_file else None
        )
        if chosen_schema is None:
            raise DataError(
                f"--data {data} needs a schema: pass --schema FILE (draft one with "
                "'orchestrator schema infer --data FILE')"
            )
        return data, chosen_schema
    if schema is not None:
        raise DataError("--schema goes with --data; pass both, or neither to use the environment's")
    demo = config.dataset.demo_name
    if demo is not None:
        if demo not in DEMO_DATASETS:
            raise DataError(
                f"environment {config.name}: unknown demo dataset {demo!r}; use one of "
                f"{', '.join(f'demo:{n}' for n in DEMO_DATASETS)}"
            )
        return f"demo:{demo}", None
    if config.dataset.data.startswith("s3://"):
        raise DataError(
            f"environment {config.name} names S3 data ({config.dataset.data}); a local run needs a "
            "local CSV: pass --data FILE --schema FILE"
        )
    assert config.dataset.schema_file is not None  # the config model requires it
    return config.resolve_path(config.dataset.data), config.resolve_path(config.dataset.schema_file)


def stage_dataset(
    config: EnvironmentConfig,
    store: ArtifactStore,
    bucket: str,
    data: Path | None = None,
    schema: Path | None = None,
) -> StagedDataset:
    """Check the chosen data against its schema and copy both into the store."""
    source, schema_path = choose_sources(config, data, schema)
    with tempfile.TemporaryDirectory(prefix="dataset-") as scratch:
        if isinstance(source, str):  # demo data: written fresh, byte-identical every time
            name = source.removeprefix("demo:")
            csv_path = Path(scratch) / f"{name}.csv"
            write_demo(name, csv_path)
            schema_path = Path(scratch) / SCHEMA_NAME
            write_schema(name, schema_path)
            dataset_schema = load_bundled_schema(name)
        else:
            csv_path = source
            if not csv_path.is_file():
                raise DataError(f"data file {csv_path} does not exist; pass the path of a CSV")
            assert schema_path is not None
            try:
                dataset_schema = load_schema(schema_path)
            except SchemaError as exc:
                raise DataError(str(exc)) from None
        check = check_data(csv_path, dataset_schema, config.pipeline.preprocess.rejection_threshold)
        digest = _digest(csv_path, schema_path)
        prefix = f"s3://{bucket}/datasets/{dataset_schema.name}/{digest}"
        data_uri, schema_uri = f"{prefix}/data/", f"{prefix}/schema/"
        if not store.exists(data_uri + csv_path.name):
            store.publish(csv_path, data_uri + csv_path.name)
        if not store.exists(schema_uri + SCHEMA_NAME):
            store.publish(schema_path, schema_uri + SCHEMA_NAME)
    return StagedDataset(
        name=dataset_schema.name,
        source=str(source),
        data_uri=data_uri,
        schema_uri=schema_uri,
        schema=dataset_schema,
        check=check,
    )


def check_data(path: Path, schema: DatasetSchema, rejection_threshold: float) -> CsvCheck:
    """Run preprocessing's own row checks; fail when the job would fail on them."""
    try:
        check = check_csv(path, schema)
    except PreprocessError as exc:
        raise DataError(f"{path} does not match its schema: {exc}") from None
    if check.rows_checked == 0:
        raise DataError(f"{path} has a header but no data rows; add rows to train on")
    if check.rejection_rate > rejection_threshold:
        reasons = ", ".join(f"{reason} ({count})" for reason, count in check.reasons.most_common(5))
        examples = "; ".join(check.examples[:3])
        raise DataError(
            f"{path}: {check.rows_rejected} of {check.rows_checked} rows "
            f"({check.rejection_rate:.1%}) do not match schema {schema.name!r}, above the "
            f"rejection threshold {rejection_threshold:.1%}. Most common problems: {reasons}. "
            f"First examples: {examples}. Fix the data or the schema (types, ranges, "
            "categories), or raise pipeline.preprocess.rejection_threshold."
        )
    check_target_values(path, schema)
    return check


def check_target_values(path: Path, schema: DatasetSchema) -> None:
    """Fail when the target leaves nothing to learn: fewer than two classes present for
    classification, a single value for regression. The row checks pass such data (each row is
    fine on its own), and the job would only fail after preprocessing, or train a useless model.
    Reads the target column alone, so it costs a fraction of the row checks."""
    counts = target_value_counts(path, schema)
    target = schema.target.name
    if schema.problem_type.is_classification:
        present = [c for c in schema.classes if counts.get(c)]
        if len(present) < 2:
            found = f"only the class {present[0]!r}" if present else "none of the schema's classes"
            raise DataError(
                f"{path}: the target {target!r} holds {found} (schema classes: "
                f"{', '.join(schema.classes)}); a {schema.problem_type.value} model needs rows of "
                "at least two classes. Add rows of the other classes, or fix target.classes to "
                "match the values in the file"
            )
        return
    numbers = {float(v) for v in counts if _is_number(v)}
    if len(numbers) < 2:
        raise DataError(
            f"{path}: the target {target!r} has {'one value' if numbers else 'no numeric value'} "
            "in every row; a regression model needs a target that varies. Check the target "
            "column in the schema and the data"
        )


def target_value_counts(path: Path, schema: DatasetSchema) -> Counter[str]:
    """How often each (trimmed) target value occurs, streamed in chunks; missing values and
    malformed rows are left out, as the row checks reject them anyway. Values are counted
    exactly up to a cap, far above any class count, so memory stays bounded for regression."""
    counts: Counter[str] = Counter()
    target = schema.target.name
    try:
        header = read_header(path)
        for table in iter_text_chunks(path, header, [target], _CHUNK_ROWS, lambda _row: None):
            values = pc.utf8_trim_whitespace(table.column(target).combine_chunks())
            counted = pc.value_counts(values)
            for value, count in zip(
                counted.field("values").to_pylist(),
                counted.field("counts").to_pylist(),
                strict=True,
            ):
                if value not in MISSING_TOKENS or value in schema.classes:
                    counts[value] += count
            if len(counts) > _DISTINCT_TARGET_CAP:
                break
    except CsvFormatError as exc:
        raise DataError(f"{path} does not match its schema: {exc}") from None
    return counts


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:16]
