"""Choosing and staging the training data before anything runs: the environment's dataset,
``--data``/``--schema``, or a bundled demo dataset, checked (:mod:`.checks`) and copied into the
backend's artifact store.

Staged data lands in the store under a content-addressed prefix (a digest of the CSV and the
schema): a changed file gets a new URI, so step caching, which SageMaker keys on arguments rather
than on data, can never reuse results computed from old data.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ml_containers.data.bundled import DEMO_DATASETS, load_bundled_schema, write_schema
from ml_containers.data.demo import write_demo
from ml_containers.preprocess.checks import CsvCheck
from ml_containers.schema import DatasetSchema, SchemaError, load_schema

from orchestrator.backends.base import ArtifactStore
from orchestrator.data.checks import DataError, check_data_files
from orchestrator.settings.environment import EnvironmentConfig

SCHEMA_NAME = "schema.yaml"


@dataclass(frozen=True)
class StagedDataset:
    """Data and schema as the pipeline sees them: ``s3://`` prefixes plus what was checked."""

    name: str
    source: str
    data_uri: str
    schema_uri: str
    schema: DatasetSchema
    check: CsvCheck
    files: int = 1  # objects under data_uri: at most this many preprocessing hosts get some


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
            assert schema_path is not None
            try:
                dataset_schema = load_schema(schema_path)
            except SchemaError as exc:
                raise DataError(str(exc)) from None
        files = data_files(csv_path)
        threshold = config.pipeline.preprocess.rejection_threshold
        check = check_data_files(list(files.values()), dataset_schema, threshold, csv_path)
        # a folder's file names are part of the data (their order, the hosts' shares)
        digest = _digest(files, schema_path, with_names=csv_path.is_dir())
        prefix = f"s3://{bucket}/datasets/{dataset_schema.name}/{digest}"
        data_uri, schema_uri = f"{prefix}/data/", f"{prefix}/schema/"
        for name, path in files.items():
            if not store.exists(data_uri + name):
                store.publish(path, data_uri + name)
        if not store.exists(schema_uri + SCHEMA_NAME):
            store.publish(schema_path, schema_uri + SCHEMA_NAME)
    return StagedDataset(
        name=dataset_schema.name,
        source=str(source),
        data_uri=data_uri,
        schema_uri=schema_uri,
        schema=dataset_schema,
        check=check,
        files=len(files),
    )


def data_files(path: Path) -> dict[str, Path]:
    """The data's files by the names they are staged under: a CSV file's own name, or every
    ``*.csv`` below a folder by its relative path, sorted (several files let several
    preprocessing hosts share the data, docs/scaling.md)."""
    if path.is_file():
        return {path.name: path}
    if not path.is_dir():
        raise DataError(
            f"data {path} does not exist; pass the path of a CSV file or of a folder of CSV files"
        )
    files = {
        p.relative_to(path).as_posix(): p
        for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() == ".csv"
    }
    if not files:
        raise DataError(f"data folder {path} holds no *.csv file; put the CSV files in it")
    return dict(sorted(files.items()))


def _digest(files: dict[str, Path], schema: Path, with_names: bool) -> str:
    """A digest of the data's files (bytes, in order, and their names ``with_names``) and the
    schema."""
    digest = hashlib.sha256()
    for name, path in [*files.items(), ("", schema)]:
        if with_names:
            digest.update(name.encode() + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:16]
