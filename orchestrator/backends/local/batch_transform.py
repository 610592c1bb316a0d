"""Local batch transform with SageMaker's semantics: SplitType=Line, BatchStrategy=MultiRecord,
AssembleWith=Line, and the DataProcessing filters and join. This module runs the job; the
input's cutting into requests is :mod:`.batch_input`, the output's assembly :mod:`.batch_output`,
the arguments and limits :mod:`.batch_settings`.

The input is streamed: whole lines are packed into requests of at most MaxPayloadInMB (asked from
the server's ``/execution-parameters`` unless given), up to MaxConcurrentTransforms requests are in
flight at once, and answers are written in input order. At most that many chunks are held in
memory, so memory stays flat whatever the input size. The output file appears only when complete
(temp file + rename), so a failed job never leaves a plausible half of one.

DataProcessing (CSV): InputFilter selects the fields sent to the model (e.g. ``$[1:]`` drops an ID
column), JoinSource=Input appends the prediction's fields to the *original* input record, and
OutputFilter selects fields of that joined record (e.g. ``$[0,-1]``: the ID and the last output).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.backends.local.batch_input import Chunk, request_chunks
from orchestrator.backends.local.batch_output import write_answer
from orchestrator.backends.local.batch_settings import (
    DataProcessing,
    check_arguments,
    execution_parameters,
)
from orchestrator.backends.local.csv_jsonpath import FieldSelector, parse_filter
from orchestrator.backends.local.loopback_http import LoopbackHttp, LoopbackHttpError
from orchestrator.backends.local.model_unpack import unpack_model
from orchestrator.backends.local.serve_process import ServeProcess
from orchestrator.backends.local.serving_errors import (
    BatchTransformError,
    EndpointError,
    server_error_message,
)
from orchestrator.backends.model_registry import ModelPackage


@dataclass(frozen=True)
class BatchTransformResult:
    output_path: Path
    records: int
    requests: int
    max_payload_mb: float
    max_concurrent_transforms: int


def run_batch_transform(
    input_path: Path,
    output_path: Path,
    *,
    endpoint_url: str | None = None,
    model_dir: Path | None = None,
    work_dir: Path | None = None,
    content_type: str = "text/csv",
    accept: str = "text/csv",
    max_payload_mb: float | None = None,
    max_concurrent_transforms: int | None = None,
    data_processing: DataProcessing | None = None,
    request_timeout: float = 120.0,
    progress: Callable[[int], None] | None = None,
) -> BatchTransformResult:
    """Transform ``input_path`` into ``output_path`` (a file, or a directory to hold
    ``<input name>.out`` as SageMaker names it) with a running server (``endpoint_url``) or one
    started here for ``model_dir``. ``progress`` is called with the count of records written."""
    processing = data_processing or DataProcessing()
    input_filter = parse_filter(processing.input_filter, "InputFilter")
    output_filter = parse_filter(processing.output_filter, "OutputFilter")
    check_arguments(
        input_path, endpoint_url, model_dir, content_type, accept, processing, input_filter,
        output_filter, max_payload_mb, max_concurrent_transforms,
    )  # fmt: skip
    output_path = Path(output_path)
    if output_path.is_dir():
        output_path = output_path / f"{Path(input_path).name}.out"

    server: ServeProcess | None = None
    try:
        if model_dir is not None:
            log_dir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="transform-"))
            server = ServeProcess.start(
                Path(model_dir), log_dir, workers=max_concurrent_transforms or 1
            )
            endpoint_url = server.url
        assert endpoint_url is not None
        job, concurrency, payload_mb = _job(
            endpoint_url, request_timeout, content_type, accept, processing,
            (input_filter, output_filter), (max_payload_mb, max_concurrent_transforms),
        )  # fmt: skip
        try:
            records, requests = _run(job, Path(input_path), output_path, concurrency, progress)
        finally:
            job.client.close()
    finally:
        if server is not None:
            server.stop()
    return BatchTransformResult(output_path, records, requests, payload_mb, concurrency)


def _job(
    endpoint_url: str,
    request_timeout: float,
    content_type: str,
    accept: str,
    processing: DataProcessing,
    filters: tuple[FieldSelector, FieldSelector],
    limits: tuple[float | None, int | None],
) -> tuple[_Job, int, float]:
    """The job's client and limits: ``(job, concurrency, payload MB)``."""
    try:
        client = LoopbackHttp(endpoint_url, timeout=request_timeout)
    except ValueError as exc:
        raise BatchTransformError(f"{exc}; pass the server's base URL") from None
    try:
        payload_mb, concurrency = execution_parameters(client, *limits)
    except BaseException:
        client.close()
        raise
    job = _Job(
        client=client,
        content_type=content_type,
        accept=accept,
        input_filter=filters[0],
        output_filter=filters[1],
        join_input=processing.join_source == "Input",
        max_payload_bytes=int(payload_mb * 1024 * 1024),
    )
    return job, concurrency, payload_mb


def run_batch_transform_for_package(
    package: ModelPackage,
    store_root: Path,
    work_root: Path,
    input_path: Path,
    output_path: Path,
    **options: Any,
) -> BatchTransformResult:
    """Transform with a registered version: unpack its model (once) and serve it for the job.
    ``options`` are :func:`run_batch_transform`'s keyword arguments (content types, limits,
    ``data_processing``, ``progress``)."""
    try:
        model_dir = unpack_model(package, store_root, work_root)
    except EndpointError as exc:
        raise BatchTransformError(str(exc)) from None
    log_dir = Path(work_root) / "logs" / f"transform-{package.group}-v{package.version}"
    return run_batch_transform(
        input_path, output_path, model_dir=model_dir, work_dir=log_dir, **options
    )


@dataclass(frozen=True)
class _Job:
    client: LoopbackHttp
    content_type: str
    accept: str
    input_filter: FieldSelector
    output_filter: FieldSelector
    join_input: bool
    max_payload_bytes: int


def _run(
    job: _Job,
    input_path: Path,
    output_path: Path,
    concurrency: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    output_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = output_path.with_name(f".{output_path.name}.partial-{uuid.uuid4().hex[:8]}")
    records = requests = 0
    pending: deque[tuple[Chunk, Future[bytes]]] = deque()
    try:
        with (
            open(input_path, "rb") as source,
            open(temporary, "wb") as sink,
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="transform") as pool,
        ):
            chunks = request_chunks(source, job.max_payload_bytes, job.input_filter, job.join_input)
            try:
                for chunk in chunks:
                    pending.append((chunk, pool.submit(_invoke, job, chunk)))
                    requests += 1
                    while len(pending) >= concurrency:  # bounded: flat memory, order kept
                        records += _write_next(sink, job, pending, progress, records)
                while pending:
                    records += _write_next(sink, job, pending, progress, records)
            except BaseException:
                for _, future in pending:
                    future.cancel()
                raise
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, output_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return records, requests


def _write_next(
    sink: io.BufferedWriter,
    job: _Job,
    pending: deque[tuple[Chunk, Future[bytes]]],
    progress: Callable[[int], None] | None,
    written: int,
) -> int:
    """Write the oldest pending answer (input order); returns the records it added."""
    chunk, future = pending.popleft()
    records = write_answer(sink, chunk, future.result(), job.output_filter)
    if progress:
        progress(written + records)
    return records


def _invoke(job: _Job, chunk: Chunk) -> bytes:
    try:
        status, body = job.client.request(
            "POST",
            "/invocations",
            body=chunk.payload,
            headers={"Content-Type": job.content_type, "Accept": job.accept},
        )
    except LoopbackHttpError as exc:
        raise BatchTransformError(f"the model server failed on {chunk.lines}: {exc}") from None
    if status != 200:
        raise BatchTransformError(
            f"the model server answered {status} for {chunk.lines}: {server_error_message(body)}"
        )
    return body
