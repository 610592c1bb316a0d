"""A job on several hosts: SageMaker's hosts plus XGBoost's own collective, nothing else.

Training and processing jobs use it alike (preprocess exchanges its global decisions through it,
:mod:`ml_containers.preprocess.distributed`). SageMaker starts the same container on every
instance of a job and describes the cluster in ``resourceconfig.json`` (training:
``/opt/ml/input/config/``, processing: ``/opt/ml/config/``; ``current_host``, ``hosts``). The first
host in sorted order (``algo-1``) runs XGBoost's collective tracker
(``xgboost.tracker.RabitTracker``); every host, the first included, joins it with
``xgboost.collective.CommunicatorContext`` under a task id equal to its index in ``hosts``, so
ranks follow the host order. XGBoost then all-reduces gradient histograms and eval metrics, so
every host builds the same trees and sees the same validation metric (early stopping stops them
all at the same round); only the first host writes the model.

This follows SageMaker's own XGBoost container (aws/sagemaker-xgboost-container,
``src/sagemaker_xgboost_container/distributed.py``: tracker on the first sorted host, port 9099,
``dmlc_task_id`` = index in the sorted hosts, retries while the tracker comes up, model saved
only where ``is_master``). Unlike it, a host whose shard is empty is not dropped from the group
with a second rendezvous: it joins with an empty matrix, which XGBoost 3 supports (it warns
"Empty dataset at worker"), so one rendezvous serves every case.

Timeouts are bounded so a lost host fails the job instead of hanging it: the tracker waits at
most ``COLLECTIVE_BOOTSTRAP_TIMEOUT`` seconds for every host to join (data loading happens before
joining), and each collective operation at most ``COLLECTIVE_TIMEOUT`` seconds.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import paths
from .train.failure import JobFailure

DEFAULT_PORT = 9099  # SageMaker's XGBoost container's tracker port
PORT_ENV = "COLLECTIVE_TRACKER_PORT"
# The tracker's address; default: the first host's name resolved (SageMaker's DNS names hosts).
ADDRESS_ENV = "COLLECTIVE_TRACKER_ADDRESS"
BOOTSTRAP_TIMEOUT_ENV = "COLLECTIVE_BOOTSTRAP_TIMEOUT"
TIMEOUT_ENV = "COLLECTIVE_TIMEOUT"
DEFAULT_BOOTSTRAP_TIMEOUT = 900  # every host must have loaded its data and joined by then
DEFAULT_TIMEOUT = 300  # one collective operation (a histogram all-reduce) never takes this long
DNS_WAIT_SECONDS = 300  # SageMaker's container waits up to 15 minutes; hosts resolve in seconds


@dataclass(frozen=True)
class Cluster:
    """The training job's hosts, sorted, and which one this process is."""

    hosts: tuple[str, ...]
    current_host: str

    @property
    def size(self) -> int:
        return len(self.hosts)

    @property
    def rank(self) -> int:
        return self.hosts.index(self.current_host)

    @property
    def is_first(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


SINGLE_HOST = Cluster(("algo-1",), "algo-1")


def processing_resource_config_file() -> Path:
    """Where SageMaker describes a processing job's cluster (``/opt/ml/config/``)."""
    return paths.opt_ml("config", "resourceconfig.json")


def read_cluster(path: Path | None = None) -> Cluster:
    """The cluster ``resourceconfig.json`` describes (default: a training job's); one host when
    the file is absent."""
    path = path or paths.resource_config_file()
    if not path.is_file():
        return SINGLE_HOST
    try:
        data = json.loads(path.read_text())
        hosts = tuple(sorted(str(h) for h in data["hosts"]))
        current = str(data["current_host"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JobFailure(
            f"cannot read the cluster from {path} ({type(exc).__name__}: {exc}); SageMaker writes "
            'it as {"current_host": "algo-1", "hosts": ["algo-1", ...]}'
        ) from None
    if not hosts or current not in hosts:
        raise JobFailure(
            f"{path}: current_host {current!r} is not one of hosts {list(hosts)}; the file must "
            "name this host among the job's hosts"
        )
    return Cluster(hosts, current)


def _seconds(env: str, default: int) -> int:
    text = os.environ.get(env)
    try:
        value = int(text) if text else default
    except ValueError:
        raise JobFailure(f"{env}={text!r} must be a whole number of seconds") from None
    if value < 1:
        raise JobFailure(f"{env}={text!r} must be at least 1 second")
    return value


def _tracker_address(cluster: Cluster) -> str:
    explicit = os.environ.get(ADDRESS_ENV)
    if explicit:
        return explicit
    first = cluster.hosts[0]
    deadline = time.monotonic() + DNS_WAIT_SECONDS
    while True:
        try:
            return socket.gethostbyname(first)
        except OSError as exc:
            if time.monotonic() > deadline:
                raise JobFailure(
                    f"host {first!r} (the collective's tracker) did not resolve within "
                    f"{DNS_WAIT_SECONDS}s ({exc}); set {ADDRESS_ENV} when hosts have no DNS names"
                ) from None
            time.sleep(1)


class Tracker:
    """The collective's tracker, run by the first host for the length of the job."""

    def __init__(self, cluster: Cluster) -> None:
        from xgboost.tracker import RabitTracker

        self.address = _tracker_address(cluster)
        self.port = int(os.environ.get(PORT_ENV) or DEFAULT_PORT)
        self._tracker: Any = RabitTracker(
            n_workers=cluster.size,
            host_ip=self.address,
            port=self.port,
            sortby="task",
            timeout=_seconds(BOOTSTRAP_TIMEOUT_ENV, DEFAULT_BOOTSTRAP_TIMEOUT),
        )
        self._tracker.start()

    def close(self) -> None:
        """After a successful job: let the tracker see every host leave, then free it."""
        with suppress(Exception):  # the workers' own errors say what went wrong
            self._tracker.wait_for(timeout=30)
        self._tracker.free()

    def abandon(self) -> None:
        """After a failure: free the tracker without waiting for hosts that may be gone."""
        with suppress(Exception):
            self._tracker.free()


def start_tracker(cluster: Cluster) -> Tracker | None:
    """Start the tracker when this is the first host of several (before loading data, so the
    other hosts find it up when they have loaded theirs)."""
    if not (cluster.distributed and cluster.is_first):
        return None
    try:
        return Tracker(cluster)
    except Exception as exc:
        raise JobFailure(
            f"host {cluster.current_host} could not start the collective tracker ({exc}); "
            f"check that port {os.environ.get(PORT_ENV) or DEFAULT_PORT} is free"
        ) from None


@contextmanager
def tracking(
    cluster: Cluster, shared_errors: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Run the tracker for the body when this is the first host of several (start it before
    loading data, so the others find it up when they have loaded theirs). After success, or an
    error of ``shared_errors`` (one every host raises together), the tracker waits for the others
    to leave: freed at once, a host still leaving would retry a tracker that is gone. After any
    other error it is freed at once, so a lost host cannot keep this one waiting."""
    tracker = start_tracker(cluster)
    try:
        yield
    except shared_errors:
        if tracker is not None:
            tracker.close()
        raise
    except BaseException:
        if tracker is not None:
            tracker.abandon()
        raise
    if tracker is not None:
        tracker.close()


@contextmanager
def collective(cluster: Cluster, default_timeout: int = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Join the cluster's collective for the body (nothing to do on one host). Each collective
    operation may wait ``default_timeout`` seconds (``COLLECTIVE_TIMEOUT`` overrides it): long
    enough for the slowest host to reach it; a host that dies is noticed at once anyway (its
    socket closes)."""
    if not cluster.distributed:
        yield
        return
    from xgboost import collective as coll

    args: dict[str, str | int] = {
        "dmlc_tracker_uri": _tracker_address(cluster),
        "dmlc_tracker_port": int(os.environ.get(PORT_ENV) or DEFAULT_PORT),
        "dmlc_task_id": str(cluster.rank),
        "dmlc_timeout": _seconds(TIMEOUT_ENV, default_timeout),
        "dmlc_retry": 10,
    }
    if not cluster.is_first:
        _wait_for_tracker(cluster, str(args["dmlc_tracker_uri"]), int(args["dmlc_tracker_port"]))
    try:
        context = coll.CommunicatorContext(**args)
        context.__enter__()
    except Exception as exc:
        raise JobFailure(
            f"host {cluster.current_host} could not join the collective at "
            f"{args['dmlc_tracker_uri']}:{args['dmlc_tracker_port']} ({exc}); every host of "
            f"{list(cluster.hosts)} must reach the first one"
        ) from None
    print(
        f"host {cluster.current_host}: rank {coll.get_rank()} of {coll.get_world_size()}",
        flush=True,
    )
    try:
        yield
    finally:
        context.__exit__(None, None, None)


def _wait_for_tracker(cluster: Cluster, address: str, port: int) -> None:
    """Return once the tracker accepts connections. Joining before it listens costs XGBoost's
    connect retries, which back off 2 s, 4 s, ... (6 s of a 13 s two-host preprocess of 1M rows
    was that). The probe connects and closes at once; the tracker logs one "Failed to verify" line
    for it and carries on (checked with xgboost 3.2's RabitTracker)."""
    deadline = time.monotonic() + _seconds(BOOTSTRAP_TIMEOUT_ENV, DEFAULT_BOOTSTRAP_TIMEOUT)
    while True:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise JobFailure(
                    f"host {cluster.current_host}: the collective's tracker at {address}:{port} "
                    f"(host {cluster.hosts[0]}) did not accept connections ({exc}); every host "
                    "must reach the first one"
                ) from None
            time.sleep(0.05)


def global_sum(cluster: Cluster, values: np.ndarray) -> np.ndarray:
    """``values`` summed over every host (itself on one host); call it on every host."""
    if not cluster.distributed:
        return values
    from xgboost import collective as coll

    return np.asarray(coll.allreduce(np.ascontiguousarray(values), coll.Op.SUM))


def all_gather(cluster: Cluster, value: Any) -> list[Any]:
    """Every host's ``value``, in host order (``[value]`` on one host); call it on every host.
    One XGBoost ``broadcast`` per host: values travel pickled, between the job's own hosts."""
    if not cluster.distributed:
        return [value]
    from xgboost import collective as coll

    return [
        coll.broadcast(value if rank == cluster.rank else None, rank)
        for rank in range(cluster.size)
    ]
