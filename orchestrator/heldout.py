"""A model version's held-out rows and their labels: Preprocess's ``batch`` output.

One preprocessing host writes ``batch.csv`` and the row-aligned ``labels.csv``; P > 1 hosts each
write ``batch-part-HHHHH.csv`` and ``labels-part-HHHHH.csv`` (row i of one pairs with row i of
the other, and a part may be empty). The held-out set is the pairs concatenated in name order.
``endpoint-test``, the run's smoke test and ``recommend``'s probe all read it here, so none of
them takes ``batch.csv`` alone where parts exist, and a prefix in neither layout (or in both, or
with a part missing its partner) fails naming the prefix and what it holds.

The prefix is listed through the backend's ``ArtifactStore`` (``download`` of the prefix: what
SageMaker does with an S3Prefix input), so the layout is decided on the names the store holds.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ml_containers.schema import DatasetSchema
from ml_containers.split_layout import SplitLayoutError, paired_names

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import OperationFailed, UserError


@contextmanager
def held_out_files(backend: Backend, prefix: str) -> Iterator[list[tuple[Path, Path]]]:
    """The (rows, labels) file pairs under ``prefix``, downloaded into a temporary folder that
    lives as long as the ``with`` block, in reading order and checked to pair up."""
    base = prefix.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="held-out-") as work:
        folder = Path(work)
        files = backend.artifacts.download(f"{base}/", folder)
        pairs = held_out_pairs(folder, files, base)
        yield [(folder / rows, folder / labels) for rows, labels in pairs]


def held_out_pairs(folder: Path, files: list[Path], where: str) -> list[tuple[str, str]]:
    """The (rows, labels) file names among ``files`` (a prefix downloaded into ``folder``), in
    reading order; OperationFailed naming ``where`` and what it holds when they do not pair."""
    names = [path.name for path in files if path.parent == folder]
    try:
        pairs: list[tuple[str, str]] = paired_names(names, where)
    except SplitLayoutError as exc:
        raise OperationFailed(f"{exc}; the held-out set is damaged") from None
    return pairs


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode().splitlines()


def read_held_out(backend: Backend, prefix: str) -> tuple[list[str], list[str]]:
    """(the held-out rows as stored: ID columns, then the features; their labels), row-aligned
    over every pair. A pair whose row counts differ is damaged (OperationFailed)."""
    rows: list[str] = []
    labels: list[str] = []
    with held_out_files(backend, prefix) as pairs:
        for rows_file, labels_file in pairs:
            these, their_labels = _lines(rows_file), _lines(labels_file)
            if len(these) != len(their_labels):
                raise OperationFailed(
                    f"{prefix.rstrip('/')}: {rows_file.name} has {len(these)} rows and "
                    f"{labels_file.name} {len(their_labels)}; the held-out set is damaged"
                )
            rows.extend(these)
            labels.extend(their_labels)
    return rows, labels


def package_held_out(
    backend: Backend, package: ModelPackage, schema: DatasetSchema
) -> tuple[list[str], list[str]]:
    """(a registered version's held-out rows without their ID columns, their labels), from the
    ``test_data`` prefix its registration recorded; endpoint-test and recommend send these."""
    prefix = package.metadata.get("test_data")
    if not prefix:
        raise UserError(
            f"{package.group} v{package.version} records no test_data (registered before "
            "versions recorded their held-out rows); train a new version with `orchestrator run`"
        )
    rows, labels = read_held_out(backend, prefix)
    if not rows:
        raise OperationFailed(f"{prefix.rstrip('/')}: holds no held-out rows; the set is damaged")
    ids = len(schema.id_columns)
    features = [",".join(next(csv.reader([row]))[ids:]) if ids else row for row in rows]
    return features, labels


def write_held_out_rows(backend: Backend, prefix: str, target: Path) -> Path:
    """The held-out rows as one file at ``target`` (for a batch transform): ``batch.csv``'s bytes
    as they are, or the parts' bytes concatenated in order (a part's missing last newline added,
    so its last row never runs into the next part's first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with held_out_files(backend, prefix) as pairs:
        if len(pairs) == 1:
            shutil.copyfile(pairs[0][0], target)
            return target
        with target.open("wb") as out:
            for rows_file, _ in pairs:
                data = rows_file.read_bytes()
                out.write(data if not data or data.endswith(b"\n") else data + b"\n")
    return target
