"""What a local batch transform job may be asked to do, checked before any server starts, and
the limits it runs with: SageMaker's DataProcessing settings, the content types that split by
line, and MaxPayloadInMB/MaxConcurrentTransforms (given, else the server's
``/execution-parameters``, else SageMaker's defaults)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import orjson

from orchestrator.backends.local.csv_jsonpath import FieldSelector
from orchestrator.backends.local.loopback_http import LoopbackHttp, LoopbackHttpError
from orchestrator.backends.local.serving_errors import BatchTransformError

# SageMaker's defaults when the container does not publish execution parameters.
DEFAULT_MAX_PAYLOAD_MB = 6.0
DEFAULT_MAX_CONCURRENT_TRANSFORMS = 1
LINE_OUTPUT_TYPES = ("text/csv", "application/jsonlines")
INPUT_TYPES = ("text/csv", "application/jsonlines")
Number = TypeVar("Number", float, int)


@dataclass(frozen=True)
class DataProcessing:
    """SageMaker's TransformJob DataProcessing settings."""

    input_filter: str = "$"
    join_source: Literal["None", "Input"] = "None"
    output_filter: str = "$"


def check_arguments(
    input_path: Path,
    endpoint_url: str | None,
    model_dir: Path | None,
    content_type: str,
    accept: str,
    processing: DataProcessing,
    input_filter: FieldSelector,
    output_filter: FieldSelector,
    max_payload_mb: float | None,
    max_concurrent_transforms: int | None,
) -> None:
    if (endpoint_url is None) == (model_dir is None):
        raise BatchTransformError(
            "give exactly one of endpoint_url (a running serve) or model_dir (start one here)"
        )
    if not Path(input_path).is_file():
        raise BatchTransformError(
            f"batch transform input {input_path} does not exist or is not a file; pass the CSV "
            "(or JSON Lines) file to transform, one record per line"
        )
    if content_type not in INPUT_TYPES:
        raise BatchTransformError(
            f"content type {content_type!r} cannot be split by line; use one of {INPUT_TYPES}"
        )
    if accept not in LINE_OUTPUT_TYPES:
        raise BatchTransformError(
            f"accept {accept!r} does not give one output line per record (AssembleWith=Line); "
            f"use one of {LINE_OUTPUT_TYPES}"
        )
    if processing.join_source not in ("None", "Input"):
        raise BatchTransformError(
            f"JoinSource {processing.join_source!r} is not valid; use 'None' or 'Input'"
        )
    filtering = (
        not input_filter.is_identity
        or not output_filter.is_identity
        or processing.join_source == "Input"
    )
    if filtering and (content_type != "text/csv" or accept != "text/csv"):
        raise BatchTransformError(
            "DataProcessing filters and JoinSource=Input are supported locally for CSV only; use "
            "content type and accept text/csv, or drop InputFilter/OutputFilter/JoinSource"
        )
    if max_payload_mb is not None and not max_payload_mb > 0:
        raise BatchTransformError(f"MaxPayloadInMB must be positive, got {max_payload_mb}")
    if max_concurrent_transforms is not None and max_concurrent_transforms < 1:
        raise BatchTransformError(
            f"MaxConcurrentTransforms must be at least 1, got {max_concurrent_transforms}"
        )


def execution_parameters(
    client: LoopbackHttp, payload_mb: float | None, concurrency: int | None
) -> tuple[float, int]:
    """The job's payload limit and concurrency: given values win, else the server's own."""
    if payload_mb is not None and concurrency is not None:
        return payload_mb, concurrency
    try:
        status, body = client.request("GET", "/execution-parameters")
    except LoopbackHttpError as exc:
        raise BatchTransformError(
            f"the model server did not answer ({exc}); start it first or pass a model "
            "directory instead"
        ) from None
    published: dict[str, object] = {}
    if status == 200:
        with contextlib.suppress(orjson.JSONDecodeError, TypeError, ValueError):
            published = dict(orjson.loads(body))
    if payload_mb is None:
        payload_mb = _published(published, "MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB, float)
    if concurrency is None:
        concurrency = max(
            1,
            _published(
                published, "MaxConcurrentTransforms", DEFAULT_MAX_CONCURRENT_TRANSFORMS, int
            ),
        )
    return payload_mb, concurrency


def _published(
    published: dict[str, object], name: str, default: Number, kind: type[Number]
) -> Number:
    """One published limit as ``kind``, or SageMaker's default when the server names none."""
    value = published.get(name, default)
    try:
        if isinstance(value, int | float | str):
            return kind(value)
    except ValueError:
        pass
    raise BatchTransformError(
        f"the model server published {name}={value!r} at /execution-parameters, which is not a "
        f"number; fix the server, or pass {name} to the batch transform"
    )
