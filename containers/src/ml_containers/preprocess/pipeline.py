"""The preprocessing job in streaming passes, so memory stays flat however large the input.

The scan reads every input CSV in chunks of text, validates each row, drops duplicates and writes
rejected rows to the quarantine file. On one host each accepted row is routed at once
(:mod:`.routing`: its split decided, its trimmed text appended to a temporary Arrow file per
split, training rows fed to the transform fitter). On several hosts (:mod:`.distributed`) the scan
keeps the accepted rows aside until the hosts have agreed on duplicates and on where each file
starts, then routes them the same way, and the hosts merge their counts and fits. Between the
passes the job may fail (rejection rate over the threshold, an empty split, a single class in
training) with the report already written. The last pass reads the temporary files back in
chunks, applies the fitted transform and writes the final label-first CSVs plus the raw
batch-transform input of the test split (on several hosts each host its own rows, :mod:`.parts`).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ..cluster import SINGLE_HOST, Cluster
from ..csvio import (
    CsvFormatError,
    MalformedRow,
    csv_field,
    csv_lines,
    iter_text_chunks,
    read_header,
    write_lines,
)
from ..schema import DatasetSchema
from ..transform import FittedTransform, TransformFitter
from ..validation import ValidatedChunk, validate_chunk
from .dedupe import SeenHashes
from .distributed import HostScan, Plan, agree, merge_hosts
from .duplicates import duplicate_code, reject_as_duplicates, scan_duplicates
from .errors import PreprocessError
from .fitfeed import FitFeeder
from .inputs import check_header, find_input_files, read_schema
from .parts import PartWriter, host_file, part_names
from .report import Report, check_after_scan
from .routing import Router
from .split import SPLIT_NAMES, TEST, TRAIN, VALIDATION
from .spools import FILE_COLUMN, HASH_COLUMN, ROW_COLUMN, Quarantine, ScannedSpool, SplitSpool


class ScanSink(Protocol):
    """Where the scan hands each file's chunks (as read, validated, the rows' numbers in the file
    and their key hashes), then says the file ended."""

    def chunk(
        self,
        index: int,
        table: pa.Table,
        checked: ValidatedChunk,
        rows: np.ndarray,
        hashes: np.ndarray,
    ) -> None: ...

    def end_file(self, index: int, rows: int) -> None: ...


@dataclass(frozen=True)
class PreprocessConfig:
    """Everything one run needs; the CLI fills it from arguments and SageMaker's paths."""

    input_dir: Path
    schema_dir: Path
    output_dir: Path
    rejection_threshold: float = 0.05
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 42
    chunk_rows: int = 100_000
    work_dir: Path | None = None
    train_parts: int = 1  # files the train split is written as (one per training host)


def run_preprocess(config: PreprocessConfig, cluster: Cluster = SINGLE_HOST) -> dict[str, Any]:
    """Run the whole job on this host of ``cluster``; returns the report. Raises
    :class:`PreprocessError` on bad input (after writing ``report/report.json`` when rows were
    read). On several hosts every host must call it (they exchange through the collective)."""
    if config.chunk_rows < 1:
        raise PreprocessError("--chunk-rows must be at least 1")
    schema = read_schema(config.schema_dir)
    files = find_input_files(config.input_dir, required=not cluster.distributed)
    out = config.output_dir
    for name in ("train", "validation", "test", "transform", "batch", "report"):
        (out / name).mkdir(parents=True, exist_ok=True)
    host, hosts = cluster.rank, cluster.size
    report = Report(schema, config)
    columns = schema.required_columns()
    with tempfile.TemporaryDirectory(prefix="preprocess-", dir=config.work_dir) as work:
        spools = [SplitSpool(Path(work) / f"{n}.arrows", columns) for n in SPLIT_NAMES]
        router = Router(
            config, schema, spools, FitFeeder(TransformFitter(schema, config.seed)), report
        )
        quarantine = Quarantine(out / "report" / host_file("quarantine", host, hosts), columns)
        try:
            if cluster.distributed:
                _scan_and_agree(config, cluster, schema, files, router, quarantine, Path(work))
            else:
                _scan(config, schema, files, report, quarantine, _RouteAtOnce(router))
        finally:
            quarantine.close()
            for spool in spools:
                spool.close()
        train_rows = int(report.splits[TRAIN])  # this host's, before the counts are merged
        fitter = router.feeder.fitter
        if cluster.distributed:
            report, fitter = merge_hosts(cluster, report, fitter)
        report.check_invariant()
        failure = check_after_scan(report, config, schema)
        if failure:
            _write_report(out, report.to_dict("failed", failure=failure))
            raise PreprocessError(failure)
        transform = fitter.finish()
        transform.save(out / "transform")
        schema.dump(out / "transform" / "schema.json")
        paths = [out / "train" / name for name in part_names(config.train_parts, host, hosts)]
        _write_outputs(schema, transform, spools, out, PartWriter(paths, train_rows), host, hosts)
    result = report.to_dict("succeeded", transform=transform)
    _write_report(out, result)
    return result


def _checked_headers(
    config: PreprocessConfig, schema: DatasetSchema, files: list[Path]
) -> dict[Path, list[str]]:
    """Each file's header, checked against the schema before any row is read."""
    headers = {}
    for path in files:
        header = read_header_checked(path)
        check_header(header, schema, source=str(path.relative_to(config.input_dir)))
        headers[path] = header
    return headers


def read_header_checked(path: Path) -> list[str]:
    try:
        return read_header(path)
    except CsvFormatError as exc:
        raise PreprocessError(str(exc)) from None


class _RouteAtOnce:
    """One host: every file's rows are routed as they are scanned, files in order."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.rows_before = 0  # rows of the files already scanned
        router.start_file(0)

    def chunk(
        self,
        index: int,
        table: pa.Table,
        checked: ValidatedChunk,
        rows: np.ndarray,
        hashes: np.ndarray,
    ) -> None:
        self.router.route(checked, rows, hashes)

    def end_file(self, index: int, rows: int) -> None:
        self.router.end_file(index)
        self.rows_before += rows
        self.router.start_file(self.rows_before)


class _KeepForAgreement:
    """Several hosts: accepted rows wait in a spool; their keys' first places are noted."""

    def __init__(self, spool: ScannedSpool, classification: bool) -> None:
        self.spool = spool
        self.classification = classification
        self.firsts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []

    def chunk(
        self,
        index: int,
        table: pa.Table,
        checked: ValidatedChunk,
        rows: np.ndarray,
        hashes: np.ndarray,
    ) -> None:
        mask = checked.accepted
        self.spool.write(table, checked, index, rows, hashes)
        if mask.any():
            self.firsts.append((hashes[mask], index, rows[mask], checked.labels[mask]))

    def end_file(self, index: int, rows: int) -> None:
        return None

    def host_scan(self, host: str, error: str | None, files: list[tuple[str, int]]) -> HostScan:
        scan = HostScan(host, error, files)
        if self.firsts:
            scan.hashes = np.concatenate([f[0] for f in self.firsts])
            scan.file_of = np.concatenate(
                [np.full(f[0].size, f[1], dtype=np.int32) for f in self.firsts]
            )
            scan.row_of = np.concatenate([f[2] for f in self.firsts])
            if self.classification:
                scan.labels = np.concatenate([f[3] for f in self.firsts]).astype(np.int64)
        return scan


def _scan(
    config: PreprocessConfig,
    schema: DatasetSchema,
    files: list[Path],
    report: Report,
    quarantine: Quarantine,
    sink: ScanSink,
) -> None:
    """Check every file's header, then validate and de-duplicate every row of this host's files,
    quarantine the rejected ones and hand each chunk to ``sink``."""
    headers = _checked_headers(config, schema, files)
    columns = schema.required_columns()
    key_columns = schema.id_columns or columns
    seen = SeenHashes()
    for index, path in enumerate(files):
        source = str(path.relative_to(config.input_dir))
        malformed: list[MalformedRow] = []
        file_rows = 0
        chunks = iter_text_chunks(path, headers[path], columns, config.chunk_rows, malformed.append)
        try:
            for table in chunks:
                rows = table.num_rows
                checked = validate_chunk(table, schema)
                hashes = scan_duplicates(checked, schema, key_columns, seen)
                row_numbers = np.arange(file_rows, file_rows + rows, dtype=np.int64)
                sink.chunk(index, table, checked, row_numbers, hashes)
                rejected = ~checked.accepted
                if rejected.any():
                    reasons = checked.problems.filter(pa.array(rejected))
                    quarantine.write_rows(
                        source, row_numbers[rejected] + 1, table.filter(pa.array(rejected)), reasons
                    )
                report.rows_in += rows
                report.rows_rejected += checked.rejected
                report.rows_accepted += rows - checked.rejected
                report.reasons.update(checked.reason_counts)
                file_rows += rows
                _flush_malformed(malformed, source, quarantine, report)
        except CsvFormatError as exc:
            raise PreprocessError(str(exc)) from None
        _flush_malformed(malformed, source, quarantine, report)
        sink.end_file(index, file_rows)
        report.files.append({"file": source, "rows": file_rows})
    report.distinct_keys = len(seen)
    report.dedupe_bytes = seen.nbytes


def _scan_and_agree(
    config: PreprocessConfig,
    cluster: Cluster,
    schema: DatasetSchema,
    files: list[Path],
    router: Router,
    quarantine: Quarantine,
    work: Path,
) -> None:
    """Several hosts: scan into a spool, agree with the other hosts, then route the spool."""
    report = router.report
    scanned = ScannedSpool(work / "scanned.arrows", schema)
    classification = schema.problem_type.is_classification
    keep = _KeepForAgreement(scanned, classification)
    error = None
    try:
        _scan(config, schema, files, report, quarantine, keep)
    except PreprocessError as exc:  # every host must hear of it, or the others would wait
        error = str(exc)
    finally:
        scanned.close()
    files_read = [(f["file"], f["rows"]) for f in report.files]
    mine = keep.host_scan(cluster.current_host, error, files_read)
    plan = agree(cluster, mine, schema.num_classes if classification else 0)
    _route_scanned(schema, scanned, plan, router, quarantine, [name for name, _ in mine.files])


def _route_scanned(
    schema: DatasetSchema,
    scanned: ScannedSpool,
    plan: Plan,
    router: Router,
    quarantine: Quarantine,
    sources: list[str],
) -> None:
    """Route the scanned rows as one host would: rows an earlier host's row duplicates are
    rejected, each file starts at its agreed offsets."""
    report = router.report
    current = -1
    for batch in scanned.batches():
        local = int(batch.column(FILE_COLUMN)[0].as_py())
        file = plan.global_file[local]
        if file != current:
            if current >= 0:
                router.end_file(current)
            router.start_file(int(plan.row_offsets[file]), plan.class_offsets[file])
            current = file
        table, checked = scanned.chunk(batch)
        rows = batch.column(ROW_COLUMN).to_numpy()
        hashes = batch.column(HASH_COLUMN).to_numpy()
        duplicate = plan.duplicates(hashes)
        if duplicate.any():
            reject_as_duplicates(checked, schema, duplicate)
            selector = pa.array(duplicate)
            quarantine.write_rows(
                sources[local],
                rows[duplicate] + 1,
                table.filter(selector),
                checked.problems.filter(selector),
            )
            report.reject_duplicates(duplicate_code(schema), int(duplicate.sum()))
        router.route(checked, rows, hashes)
    if current >= 0:
        router.end_file(current)


def _flush_malformed(
    malformed: list[MalformedRow], source: str, quarantine: Quarantine, report: Report
) -> None:
    if not malformed:
        return
    quarantine.write_malformed(source, malformed)
    report.rows_in += len(malformed)
    report.rows_rejected += len(malformed)
    report.reasons["malformed row"] += len(malformed)
    malformed.clear()


def _write_outputs(
    schema: DatasetSchema,
    transform: FittedTransform,
    spools: list[SplitSpool],
    out: Path,
    train_parts: PartWriter,
    host: int,
    hosts: int,
) -> None:
    """Transform each split's rows into its label-first CSV (train: into its part files)."""
    raw_columns = [*schema.id_columns, *schema.feature_names]
    batch_handle = (out / "batch" / host_file("batch", host, hosts)).open("wb")
    labels_handle = (out / "batch" / host_file("labels", host, hosts)).open("wb")
    try:
        for code in (TRAIN, VALIDATION, TEST):
            name = SPLIT_NAMES[code]
            sink = (
                train_parts
                if code == TRAIN
                else PartWriter([out / name / host_file(name, host, hosts)], 0)
            )
            for table in spools[code].batches():
                checked = validate_chunk(table, schema)
                if checked.rejected:
                    raise RuntimeError("a row accepted in pass 1 failed validation in pass 2")
                features = transform.apply_columns(checked.feature_columns(), checked.rows)
                sink.write(_label_first_table(schema, checked.labels, features))
                if code == TEST:
                    write_lines(batch_handle, csv_lines([checked.text[c] for c in raw_columns]))
                    write_lines(labels_handle, csv_field(checked.text[schema.target.name]))
            sink.close()
    finally:
        batch_handle.close()
        labels_handle.close()


def _label_first_table(schema: DatasetSchema, labels: np.ndarray, features: np.ndarray) -> pa.Table:
    if schema.problem_type.is_classification:
        label = pa.array(labels.astype(np.int32))
    else:
        label = pa.array(labels.astype(np.float64))
    columns = np.ascontiguousarray(features.T)
    arrays = [label, *(pa.array(columns[i]) for i in range(columns.shape[0]))]
    names = ["label", *(f"f{i}" for i in range(columns.shape[0]))]
    return pa.Table.from_arrays(arrays, names=names)


def _write_report(out: Path, report: dict[str, Any]) -> None:
    path = out / "report" / "report.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
