"""Preprocessing on several hosts: what the hosts must agree on so that their outputs together
equal, up to row order, what one host reading every file would write.

SageMaker hands each host of a ``ShardedByS3Key`` input some of the objects (whole files). Each
host validates its files and drops duplicates among its own rows in one streaming scan; then the
hosts exchange, through XGBoost's collective (:mod:`ml_containers.cluster`), what only the whole
input decides:

1. **After the scan** (:func:`agree`): every host's file names with their row counts, and per
   first-seen key its hash, file, row and class. From that every host derives the same facts: the
   files' global order (sorted paths, as one host sorts them), each file's first row index in the
   whole input (the regression split), how many accepted rows of each class precede each file
   (the stratified split) and which of its rows an earlier row on another host duplicates (the
   one with the smallest (file, row) keeps its key, as on one host).
2. **After routing** (:func:`merge_hosts`): the report's counts and the transform fitter's
   per-file sums and samples, merged so every host holds the fit one host would make
   (:class:`~ml_containers.transform.TransformFitter`).

Cost per host: the first exchange carries 22 bytes per distinct row of the whole input (one host
keeps 8 per row for its duplicate check); the second a few numbers per file and column plus each
column's sample. Objects travel pickled between the job's own hosts (XGBoost's ``broadcast``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from ..cluster import Cluster, all_gather
from ..transform import TransformFitter
from .errors import PreprocessError
from .report import Report

_ROW_BITS = 40  # rows per file below 2**40; files below 2**23


@dataclass
class HostScan:
    """What one host tells the others after its scan."""

    host: str
    error: str | None
    files: list[tuple[str, int]]  # relative path, rows read (in this host's order)
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    file_of: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    row_of: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    labels: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass
class Plan:
    """The whole input's facts one host needs to route its rows as one host would."""

    global_file: list[int]  # this host's file i -> index in the whole input's file order
    row_offsets: np.ndarray  # per global file: its first row's index in the whole input
    class_offsets: np.ndarray  # per global file and class: accepted rows before the file
    beaten: np.ndarray  # sorted hashes of this host's rows an earlier row on another host has

    def duplicates(self, hashes: np.ndarray) -> np.ndarray:
        if self.beaten.size == 0:
            return np.zeros(hashes.size, dtype=bool)
        at = np.minimum(np.searchsorted(self.beaten, hashes), self.beaten.size - 1)
        return self.beaten[at] == hashes


def agree(cluster: Cluster, mine: HostScan, num_classes: int) -> Plan:
    """Exchange every host's scan; raises the first failing host's error on every host."""
    return plan_for(all_gather(cluster, mine), cluster.rank, num_classes)


def plan_for(scans: list[HostScan], rank: int, num_classes: int) -> Plan:
    """The plan for host ``rank`` from every host's scan (a pure function, so tests can check it
    without a cluster)."""
    failed = [f"host {s.host}: {s.error}" for s in scans if s.error]
    if failed:
        raise PreprocessError("; ".join(failed))
    order = _file_order(scans)
    index = {name: i for i, name in enumerate(order)}
    rows = np.zeros(len(order), dtype=np.int64)
    for scan in scans:
        for name, count in scan.files:
            rows[index[name]] = count
    row_offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    maps = [np.array([index[name] for name, _ in s.files], dtype=np.int64) for s in scans]
    files = np.concatenate([m[s.file_of] for m, s in zip(maps, scans, strict=True)])
    hashes = np.concatenate([s.hashes for s in scans])
    positions = (files << _ROW_BITS) | np.concatenate([s.row_of for s in scans])
    first = _first_of_each_key(hashes, positions)
    bounds = np.cumsum([0, *(s.hashes.size for s in scans)])
    mine = slice(int(bounds[rank]), int(bounds[rank + 1]))
    class_offsets = np.zeros((len(order), max(num_classes, 1)), dtype=np.int64)
    if num_classes:
        labels = np.concatenate([s.labels for s in scans])
        counts = np.zeros_like(class_offsets)
        np.add.at(counts, (files[first], labels[first]), 1)
        class_offsets[1:] = np.cumsum(counts, axis=0)[:-1]
    return Plan(
        global_file=[int(i) for i in maps[rank]],
        row_offsets=row_offsets,
        class_offsets=class_offsets,
        beaten=np.sort(hashes[mine][~first[mine]]),
    )


def _file_order(scans: list[HostScan]) -> list[str]:
    owner: dict[str, str] = {}
    for scan in scans:
        for name, _ in scan.files:
            if name in owner:
                raise PreprocessError(
                    f"input file {name} reached both host {owner[name]} and host {scan.host}; "
                    "with several hosts the data input must be ShardedByS3Key (each object on one "
                    "host), or run preprocessing on one instance"
                )
            owner[name] = scan.host
    if not owner:
        raise PreprocessError(
            f"no input files: none of the {len(scans)} hosts found a *.csv file in its share of "
            "the data input; provide one or more CSV files with a header row"
        )
    return sorted(owner, key=PurePosixPath)


def _first_of_each_key(hashes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """True where a row holds the earliest position among the rows with its hash."""
    order = np.lexsort((positions, hashes))
    ordered = hashes[order]
    leads = np.ones(ordered.size, dtype=bool)
    leads[1:] = ordered[1:] != ordered[:-1]
    first = np.zeros(hashes.size, dtype=bool)
    first[order[leads]] = True
    return first


def merge_hosts(
    cluster: Cluster, report: Report, fitter: TransformFitter
) -> tuple[Report, TransformFitter]:
    """Every host's counts and fit, merged in host order (the merge does not depend on it)."""
    gathered = all_gather(cluster, (report, fitter))
    merged_report, merged_fitter = gathered[0]
    for other_report, other_fitter in gathered[1:]:
        merged_report.absorb(other_report)
        merged_fitter.absorb(other_fitter)
    return merged_report, merged_fitter
