"""The training job's input channels: where they are and whether they are usable.

SageMaker mounts each channel at ``/opt/ml/input/data/<name>`` (``SM_CHANNEL_<NAME>`` overrides
it) and describes them in ``inputdataconfig.json``. ``train`` needs three: ``train`` and
``validation`` (label-first CSVs from preprocess) and ``transform`` (``transform.json`` +
``schema.json``, the preprocessing bundle). A missing, empty or non-CSV channel fails here, before
any data is read, with the channel named. A data channel's every file is read, in name order:
``<name>.csv`` or the parts ``<name>-part-*.csv`` (one per training host, or per preprocessing
and training host), never both (``ml_containers.split_layout``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import paths
from ..schema import SCHEMA_FILE_NAMES, DatasetSchema, SchemaError, load_schema
from ..split_layout import SplitLayoutError, check_one_form
from ..transform import TRANSFORM_FILE, FittedTransform
from .failure import JobFailure
from .labeled_csv import data_files

DATA_CHANNELS = ("train", "validation")
TRANSFORM_CHANNEL = "transform"
REQUIRED_CHANNELS = (*DATA_CHANNELS, TRANSFORM_CHANNEL)
CSV_CONTENT_TYPE = "text/csv"
SUPPORTED_INPUT_MODES = ("File", "FastFile")


def read_input_data_config(path: Path) -> dict[str, Any] | None:
    """``inputdataconfig.json`` as a dict, or None when absent (plain local runs)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise JobFailure(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise JobFailure(f"{path} must be a JSON object mapping channel names to settings")
    return data


def check_input_data_config(config: Mapping[str, Any] | None) -> None:
    """Every required channel is declared, carries text/csv and is mounted as files."""
    if config is None:
        return
    missing = [c for c in REQUIRED_CHANNELS if c not in config]
    if missing:
        raise JobFailure(
            f"the training job's InputDataConfig lacks the channel(s) {missing}; train needs "
            f"{list(REQUIRED_CHANNELS)} (train/validation: the CSV splits from preprocess, "
            "transform: its transform.json and schema.json)"
        )
    for name in DATA_CHANNELS:
        settings = config[name] if isinstance(config[name], dict) else {}
        content_type = str(settings.get("ContentType") or CSV_CONTENT_TYPE)
        if content_type.split(";")[0].strip().lower() != CSV_CONTENT_TYPE:
            raise JobFailure(
                f"channel {name!r} has ContentType {content_type!r}, but train reads only "
                f"{CSV_CONTENT_TYPE!r} (label first, no header); set the channel's ContentType to "
                f"{CSV_CONTENT_TYPE} and give it the CSV split from preprocess"
            )
    for name in REQUIRED_CHANNELS:
        settings = config[name] if isinstance(config[name], dict) else {}
        mode = settings.get("TrainingInputMode", "File")
        if mode not in SUPPORTED_INPUT_MODES:
            raise JobFailure(
                f"channel {name!r} uses TrainingInputMode {mode!r}; train reads files, so use "
                f"one of {list(SUPPORTED_INPUT_MODES)}"
            )


def sharded_channels(config: Mapping[str, Any] | None) -> frozenset[str]:
    """The channels split across hosts (``S3DistributionType`` ``ShardedByS3Key``): each host
    holds part of them, so their row counts add up over hosts."""
    return frozenset(
        name
        for name, settings in (config or {}).items()
        if isinstance(settings, dict) and settings.get("S3DistributionType") == "ShardedByS3Key"
    )


def channel_files(name: str, allow_empty: bool = False) -> list[Path]:
    """The data files of channel ``name``; fails when the channel is missing, or empty unless
    ``allow_empty`` (one host of several, whose shard may hold no file)."""
    directory = paths.channel_dir(name)
    if not directory.is_dir():
        raise JobFailure(
            f"channel {name!r} is missing: {directory} does not exist; give the training job an "
            f"input channel named {name!r} (SageMaker mounts it there; locally set OPT_ML_ROOT or "
            f"SM_CHANNEL_{name.upper()})"
        )
    files = data_files(directory)
    if not files and not allow_empty:
        raise JobFailure(
            f"channel {name!r} is empty: {directory} holds no files; check that the channel's S3 "
            "prefix points at the output of preprocess"
        )
    try:
        check_one_form((p.name for p in files), name, f"channel {name!r} ({directory})")
    except SplitLayoutError as exc:
        raise JobFailure(str(exc)) from None
    return files


def load_preprocessing_bundle() -> tuple[DatasetSchema, FittedTransform, Path]:
    """Schema and fitted transform from the ``transform`` channel, checked against each other."""
    directory = paths.channel_dir(TRANSFORM_CHANNEL)
    if not directory.is_dir():
        raise JobFailure(
            f"channel {TRANSFORM_CHANNEL!r} is missing: {directory} does not exist; give the "
            "training job a channel 'transform' with transform.json and schema.json from preprocess"
        )
    if not (directory / TRANSFORM_FILE).is_file():
        raise JobFailure(
            f"channel {TRANSFORM_CHANNEL!r} has no {TRANSFORM_FILE} ({directory}); point it at "
            "the transform output of preprocess"
        )
    if not any((directory / name).is_file() for name in SCHEMA_FILE_NAMES):
        raise JobFailure(
            f"channel {TRANSFORM_CHANNEL!r} has no schema.json ({directory}); point it at the "
            "transform output of preprocess, which writes the normalized schema next to "
            f"{TRANSFORM_FILE}"
        )
    try:
        schema = load_schema(directory)
    except SchemaError as exc:
        raise JobFailure(f"channel {TRANSFORM_CHANNEL!r}: {exc}") from None
    try:
        transform = FittedTransform.load(directory)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JobFailure(
            f"channel {TRANSFORM_CHANNEL!r}: {TRANSFORM_FILE} is not a fitted transform ({exc}); "
            "re-run preprocess"
        ) from None
    if transform.input_names != schema.feature_names:
        raise JobFailure(
            f"channel {TRANSFORM_CHANNEL!r}: {TRANSFORM_FILE} was fitted for columns "
            f"{transform.input_names} but schema.json lists features {schema.feature_names}; "
            "both must come from the same preprocess run"
        )
    return schema, transform, directory
