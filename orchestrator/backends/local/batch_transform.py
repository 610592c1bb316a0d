"""Local batch transform with SageMaker's semantics: SplitType=Line, BatchStrategy=MultiRecord,
AssembleWith=Line, and the DataProcessing filters and join.

The input is streamed: whole lines are packed into requests of at most MaxPayloadInMB (asked from
the server's ``/execution-parameters`` unless given), up to MaxConcurrentTransforms requests are in
flight at once, and answers are written in input order. At most that many chunks are held in
memory, so memory stays flat whatever the input size. Every answer must have exactly one line per
record it was sent (anything else is an error, because a silent shift would pair predictions with
the wrong rows). The output file appears only when complete (temp file + rename).

DataProcessing (CSV): InputFilter selects the fields sent to the model (e.g. ``$[1:]`` drops an ID
column), JoinSource=Input appends the prediction's fields to the *original* input record, and
OutputFilter selects fields of that joined record (e.g. ``$[0,-1]``: the ID and the last output).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from orchestrator.backends.local.batch_settings import (
    DataProcessing,
    check_arguments,
    execution_parameters,
)
from orchestrator.backends.local.csv_jsonpath import FieldSelector, parse_filter
from orchestrator.backends.local.line_blocks import line_blocks
from orchestrator.backends.local.loopback_http import LoopbackHttp, LoopbackHttpError
from orchestrator.backends.local.model_unpack import unpack_model
from orchestrator.backends.local.serve_process import ServeProcess
from orchestrator.backends.local.serving_errors import BatchTransformError, EndpointError
from orchestrator.backends.model_registry import ModelPackage


@dataclass(frozen=True)
class BatchTransformResult:
    output_path: Path
    records: int
    requests: int
    max_payload_mb: float
    max_concurrent_transforms: int


@dataclass(frozen=True)
class _Chunk:
    first_line: int
    raw_lines: list[bytes] | None  # kept only when the output joins the input
    payload: bytes
    records: int


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

    @property
    def reshapes_output(self) -> bool:
        return self.join_input or not self.output_filter.is_identity


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
    pending: deque[tuple[_Chunk, Future[bytes]]] = deque()
    try:
        with (
            open(input_path, "rb") as source,
            open(temporary, "wb") as sink,
            ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="transform") as pool,
        ):
            try:
                for chunk in _records(source, job):
                    pending.append((chunk, pool.submit(_invoke, job, chunk)))
                    requests += 1
                    while len(pending) >= concurrency:  # bounded: flat memory, order kept
                        records += _write(sink, job, *pending.popleft())
                        if progress:
                            progress(records)
                while pending:
                    records += _write(sink, job, *pending.popleft())
                    if progress:
                        progress(records)
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


def _records(source: io.BufferedReader, job: _Job) -> Iterator[_Chunk]:
    """The input packed into requests: whole-line blocks cut by C when records go to the model
    as they are (:mod:`.line_blocks`), line by line when a filter or the join needs each one."""
    if job.input_filter.is_identity and not job.join_input:
        for block in line_blocks(source, job.max_payload_bytes):
            yield _Chunk(block.first_line, None, block.payload, block.records)
    else:
        yield from _chunks(source, job)


def _chunks(source: io.BufferedReader, job: _Job) -> Iterator[_Chunk]:
    """Whole lines packed up to the payload limit, each after the InputFilter."""
    lines: list[bytes] = []
    raw: list[bytes] = []
    size = 0
    first = 1
    for number, line in enumerate(source, start=1):
        record = line.rstrip(b"\r\n")
        if not record.strip():
            raise BatchTransformError(
                f"line {number} of the input is blank; SplitType=Line makes every line a record, "
                "so remove blank lines"
            )
        sent = _filter_input(record, job.input_filter, number)
        if len(sent) + 1 > job.max_payload_bytes:
            raise BatchTransformError(
                f"record on line {number} is {len(sent) + 1} bytes, over the "
                f"{job.max_payload_bytes} byte payload limit (MaxPayloadInMB); raise the limit "
                "or split the record"
            )
        if size + len(sent) + 1 > job.max_payload_bytes:
            yield _chunk(first, lines, raw if job.join_input else None)
            lines, raw, size, first = [], [], 0, number
        lines.append(sent)
        if job.join_input:
            raw.append(record)
        size += len(sent) + 1
    if lines:
        yield _chunk(first, lines, raw if job.join_input else None)


def _chunk(first: int, lines: list[bytes], raw: list[bytes] | None) -> _Chunk:
    return _Chunk(first, raw, b"\n".join(lines) + b"\n", len(lines))


def _filter_input(record: bytes, selector: FieldSelector, number: int) -> bytes:
    if selector.is_identity:
        return record
    return _csv_line(selector.select(_csv_fields(record, number), number))


def _csv_fields(record: bytes, number: int) -> list[str]:
    try:
        return next(csv.reader([record.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise BatchTransformError(
            f"line {number} is not a valid UTF-8 CSV record ({exc}); fix the input file"
        ) from None


def _csv_line(fields: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue().encode()


def _invoke(job: _Job, chunk: _Chunk) -> bytes:
    where = f"lines {chunk.first_line}-{chunk.first_line + chunk.records - 1}"
    try:
        status, body = job.client.request(
            "POST",
            "/invocations",
            body=chunk.payload,
            headers={"Content-Type": job.content_type, "Accept": job.accept},
        )
    except LoopbackHttpError as exc:
        raise BatchTransformError(f"the model server failed on {where}: {exc}") from None
    if status != 200:
        try:
            message = orjson.loads(body)["error"]["message"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            message = body[:300].decode(errors="replace")
        raise BatchTransformError(f"the model server answered {status} for {where}: {message}")
    return body


def _write(sink: io.BufferedWriter, job: _Job, chunk: _Chunk, future: Future[bytes]) -> int:
    body = future.result()
    if not job.reshapes_output and b"\r" not in body:
        # The answer is written as it is: counting its lines in C is all the check needs.
        if body and not body.endswith(b"\n"):
            body += b"\n"
        _check_line_count(chunk, body.count(b"\n"))
        sink.write(body)
        return chunk.records
    outputs = body.split(b"\n")
    if outputs and outputs[-1] in (b"", b"\r"):
        outputs.pop()
    _check_line_count(chunk, len(outputs))
    if not job.reshapes_output:
        sink.write(b"\n".join(o.rstrip(b"\r") for o in outputs) + b"\n")
        return chunk.records
    lines = []
    for offset, output in enumerate(outputs):
        number = chunk.first_line + offset
        fields = _csv_fields(output.rstrip(b"\r"), number)
        if chunk.raw_lines is not None:
            fields = _csv_fields(chunk.raw_lines[offset], number) + fields
        lines.append(_csv_line(job.output_filter.select(fields, number)))
    sink.write(b"\n".join(lines) + b"\n")
    return chunk.records


def _check_line_count(chunk: _Chunk, lines: int) -> None:
    if lines != chunk.records:
        last = chunk.first_line + chunk.records - 1
        raise BatchTransformError(
            f"the model server returned {lines} lines for the {chunk.records} records on "
            f"lines {chunk.first_line}-{last}; batch transform needs exactly one output line per "
            "input line (SplitType=Line, AssembleWith=Line)"
        )
