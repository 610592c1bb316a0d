"""A job on N instances, run locally as N processes on 127.0.0.1, the way SageMaker runs it.

Each host gets its own ``OPT_ML_ROOT`` (``<job root>/algo-<i>``; a one-host job keeps the job
root itself, so its layout is unchanged), its own copy of each input (the whole prefix for
``FullyReplicated``, its share of the objects for ``ShardedByS3Key``) and a generated
``resourceconfig.json`` naming it among ``algo-1..algo-N``. The hosts find each other's
collective tracker through ``COLLECTIVE_TRACKER_ADDRESS``/``PORT`` (on SageMaker: the first
host's DNS name and port 9099), with a free port per job so parallel jobs never collide.

ShardedByS3Key: SageMaker gives each host 1/N of the prefix's objects without saying which. Here
host i (0-based) gets the i-th contiguous block of the objects in key order, so the shards read in
host order are the objects in key order, as one host reads them; with fewer objects than hosts
some hosts get none, as on SageMaker.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.jobs import JobResult

FULLY_REPLICATED = "FullyReplicated"
SHARDED = "ShardedByS3Key"
DISTRIBUTIONS = (FULLY_REPLICATED, SHARDED)
TRACKER_ADDRESS = "127.0.0.1"
MAX_LOCAL_HOSTS = 16  # each host is a process on this machine


def host_names(count: int) -> list[str]:
    return [f"algo-{i}" for i in range(1, count + 1)]


def instance_count(step: str, value: Any, where: str) -> int:
    """A job's InstanceCount (resolved) as an int the local runner can run."""
    try:
        count = int(value if value is not None else 1)
    except (TypeError, ValueError):
        raise DefinitionError(f"step {step!r}: {where} {value!r} is not a whole number") from None
    if not 1 <= count <= MAX_LOCAL_HOSTS:
        raise DefinitionError(
            f"step {step!r}: {where} is {count}; the local runner runs 1 to {MAX_LOCAL_HOSTS} "
            "hosts as processes on this machine"
        )
    return count


def host_root(job_root: Path, host: str, count: int) -> Path:
    """A host's OPT_ML_ROOT: the job's root on one host, ``<root>/<host>`` on several."""
    return job_root if count == 1 else job_root / host


def host_log(log_path: Path, host: str, count: int) -> Path:
    """The first host logs where a one-host job does (metrics are read there); the others
    beside it, ``<log stem>.<host><suffix>``."""
    if count == 1 or host == "algo-1":
        return log_path
    return log_path.with_name(f"{log_path.stem}.{host}{log_path.suffix}")


def resource_config(host: str, count: int, instance_type: str) -> dict[str, Any]:
    """``resourceconfig.json`` as SageMaker writes it for ``host`` of ``count``."""
    hosts = host_names(count)
    return {
        "current_host": host,
        "hosts": hosts,
        "current_instance_type": instance_type,
        "current_group_name": "homogeneousCluster",
        "instance_groups": [
            {
                "instance_group_name": "homogeneousCluster",
                "instance_type": instance_type,
                "hosts": hosts,
            }
        ],
        "network_interface_name": "eth0",
    }


def free_port() -> int:
    """A port no one listens on now, for one job's collective tracker."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((TRACKER_ADDRESS, 0))
        return int(probe.getsockname()[1])


def collective_environment(port: int) -> dict[str, str]:
    return {"COLLECTIVE_TRACKER_ADDRESS": TRACKER_ADDRESS, "COLLECTIVE_TRACKER_PORT": str(port)}


def check_distribution(step: str, name: Any, distribution: Any) -> str:
    value = str(distribution or FULLY_REPLICATED)
    if value not in DISTRIBUTIONS:
        raise DefinitionError(
            f"step {step!r} input {name!r} has S3DataDistributionType {value!r}; SageMaker "
            f"allows {' or '.join(DISTRIBUTIONS)}"
        )
    return value


def download_shard(
    store: ArtifactStore,
    uri: str,
    destination: Path,
    distribution: str,
    host_index: int,
    count: int,
) -> list[Path]:
    """Copy ``uri`` into ``destination``: all of it, or for ShardedByS3Key this host's block of
    its objects in key order (possibly none)."""
    files = store.download(uri, destination)
    if distribution != SHARDED or count == 1:
        return files
    relative = sorted(f.relative_to(destination).as_posix() for f in files)
    start = host_index * len(relative) // count
    stop = (host_index + 1) * len(relative) // count
    mine = set(relative[start:stop])
    for name in relative:
        if name not in mine:
            (destination / name).unlink()
    for directory in sorted(destination.rglob("*"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            shutil.rmtree(directory)
    return [destination / name for name in relative[start:stop]]


def first_failure(results: list[JobResult]) -> int | None:
    """The index of the host that failed (not one stopped because of it), if any."""
    for index, result in enumerate(results):
        if (result.exit_code != 0 or result.timed_out) and not result.stopped:
            return index
    for index, result in enumerate(results):
        if result.exit_code != 0 or result.timed_out:
            return index
    return None
