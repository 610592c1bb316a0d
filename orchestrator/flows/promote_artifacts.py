"""The objects a promoted package points at, copied from the source's store into the target's
and checked there.

What is copied: the model artifact, the evaluation report (ModelQuality statistics), the drift
baseline (``statistics.json``/``constraints.json``, when the version has one: ``monitor run``
and the target's Model Monitor schedule judge the promoted model against it), the dataset
schema and the held-out rows ``endpoint-test`` sends (lineage ``test_data``: ``batch.csv`` and
``labels.csv``, or every ``batch-part-*``/``labels-part-*`` pair of a multi-host Preprocess; a
set whose files do not pair up is refused before it is copied, ``orchestrator/heldout.py``, so
nothing is registered). Each goes under ``<prefix><name>/`` of the target's artifacts bucket
through the target's ``ArtifactStore``, which writes with SSE-KMS and the target stack's key as
every upload of the orchestrator does. An object keeps its file name; a prefix keeps its files'
paths and its URI keeps its shape (with or without the final ``/``), so whatever reads the
lineage reads the copy as it read the original.

Checked after the copy: every file is read back from the target and its SHA-256 compared with
what was read from the source. That costs a second download, and proves what the target's roles
will read (through the target's key) is byte for byte what the source held: an ETag cannot,
since under SSE-KMS it is not the object's MD5.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from orchestrator.backends.base import Backend
from orchestrator.backends.model_registry import ModelPackage
from orchestrator.errors import OperationFailed
from orchestrator.flows.monitor_locations import baseline_uris
from orchestrator.heldout import held_out_pairs
from orchestrator.pipeline import names

Progress = Callable[[str], None]
CHUNK_BYTES = 1 << 20
HELD_OUT = "test_data"  # the lineage entry naming Preprocess's batch output
LINEAGE_OBJECTS = (HELD_OUT, "schema_uri")  # lineage entries naming objects to copy
# the drift baseline's metadata keys -> the folder each copy goes in
BASELINE_COPIES = {
    names.BASELINE_STATISTICS_KEY: "baseline_statistics",
    names.BASELINE_CONSTRAINTS_KEY: "baseline_constraints",
}


def wanted(package: ModelPackage) -> dict[str, str]:
    """name -> source URI of everything the target package must have a copy of."""
    found = {"model": package.model_data_url}
    for key in LINEAGE_OBJECTS:
        if package.metadata.get(key):
            found[key] = package.metadata[key]
    if package.metrics_uri:
        found["evaluation"] = package.metrics_uri
    return found


def baseline(source: Backend, package: ModelPackage) -> dict[str, str]:
    """metadata key -> source URI of the version's drift baseline; empty for a version registered
    before Evaluate wrote one (its promotion is monitored by nothing, as at the source)."""
    found = dict(zip(BASELINE_COPIES, baseline_uris(package), strict=True))
    if all(uri and source.artifacts.exists(uri) for uri in found.values()):
        return {key: uri for key, uri in found.items() if uri}
    return {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _sums(root: Path, files: list[Path]) -> dict[str, str]:
    return {str(path.relative_to(root)): _sha256(path) for path in files}


def _is_object(uri: str, files: list[Path], local: Path) -> bool:
    """Whether ``uri`` was one object (downloaded under its own name), not a prefix."""
    return not uri.endswith("/") and files == [local / Path(uri).name]


def copy_one(source: Backend, target: Backend, uri: str, prefix: str, name: str, work: Path) -> str:
    """Copy ``uri`` under ``<prefix><name>`` and check the copy; the target URI. One object
    keeps its file name (``<prefix><name>/<file>``); a prefix becomes ``<prefix><name>`` with
    the source URI's final ``/`` or none."""
    local, check = work / "source" / name, work / "check" / name
    files = source.artifacts.download(uri, local)
    if name == HELD_OUT and not _is_object(uri, files, local):
        held_out_pairs(local, files, uri)  # a damaged set is refused, not copied
    if _is_object(uri, files, local):
        target_uri = f"{prefix}{name}/{files[0].name}"
        target.artifacts.publish(files[0], target_uri)
        expected = {files[0].name: _sha256(files[0])}
    else:
        target_uri = f"{prefix}{name}" + ("/" if uri.endswith("/") else "")
        target.artifacts.publish(local, target_uri)
        expected = _sums(local, files)
    copied = target.artifacts.download(target_uri, check)
    if _sums(check, copied) != expected:
        raise OperationFailed(
            f"the copy of {uri} at {target_uri} does not read back as the source's bytes "
            f"({len(copied)} files, {len(expected)} expected, or a checksum differs); nothing "
            "was registered, run the promotion again"
        )
    return target_uri


def to_copy(source: Backend, package: ModelPackage) -> dict[str, str]:
    """name -> source URI: what :func:`wanted` names, and the drift baseline when there is one
    (named by ``BASELINE_COPIES``)."""
    drift = baseline(source, package)
    return {**wanted(package), **{BASELINE_COPIES[key]: uri for key, uri in drift.items()}}


def copy_artifacts(
    source: Backend, target: Backend, package: ModelPackage, prefix: str, progress: Progress
) -> dict[str, str]:
    """Copy and check what the package points at; source URI -> target URI."""
    copied: dict[str, str] = {}
    objects = to_copy(source, package)
    if not set(objects) & set(BASELINE_COPIES.values()):
        progress(f"{package.arn} has no drift baseline to copy: the target will not monitor it")
    with tempfile.TemporaryDirectory(prefix="promote-") as work:
        for name, uri in objects.items():
            copied[uri] = copy_one(source, target, uri, prefix, name, Path(work))
            progress(f"copied {uri} -> {copied[uri]} (checksums match)")
    return copied
