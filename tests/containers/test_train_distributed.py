"""``train`` on several hosts without the local runner: what the container itself does with
SageMaker's resourceconfig.json, and that a lost host ends the others' wait within bounded
timeouts (on SageMaker nothing else would stop them)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from ml_containers.cluster import SINGLE_HOST, read_cluster
from ml_containers.train.failure import JobFailure
from test_train_support import BIN_DIR, lay_out_training_job, prepare

pytestmark = pytest.mark.slow


def test_no_resourceconfig_means_one_host(tmp_path):
    assert read_cluster(tmp_path / "absent.json") == SINGLE_HOST


def test_hosts_are_sorted_and_the_current_host_must_be_one_of_them(tmp_path):
    path = tmp_path / "resourceconfig.json"
    path.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-2", "algo-1"]}))
    cluster = read_cluster(path)
    assert cluster.hosts == ("algo-1", "algo-2") and cluster.rank == 1 and not cluster.is_first
    path.write_text(json.dumps({"current_host": "algo-9", "hosts": ["algo-1"]}))
    with pytest.raises(JobFailure, match="current_host 'algo-9' is not one of hosts"):
        read_cluster(path)
    path.write_text("{}")
    with pytest.raises(JobFailure, match="cannot read the cluster"):
        read_cluster(path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_surviving_host_fails_within_bounded_time_when_another_is_killed(tmp_path):
    data = prepare("breast_cancer")
    port = _free_port()
    processes = []
    for host in ("algo-1", "algo-2"):
        root = lay_out_training_job(
            tmp_path / host,
            data,
            {"num_round": "100000", "early_stopping_rounds": "0", "eta": "0.0001", "nthread": "1"},
        )
        config = {"current_host": host, "hosts": ["algo-1", "algo-2"]}
        (root / "input/config/resourceconfig.json").write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "OPT_ML"))}
        env |= {
            "OPT_ML_ROOT": str(root),
            "COLLECTIVE_TRACKER_ADDRESS": "127.0.0.1",
            "COLLECTIVE_TRACKER_PORT": str(port),
            "COLLECTIVE_TIMEOUT": "20",
        }
        log = (tmp_path / f"{host}.log").open("wb")
        processes.append(
            subprocess.Popen([str(BIN_DIR / "train")], env=env, stdout=log, stderr=log)
        )
    deadline = time.monotonic() + 60
    while "rank 1 of 2" not in (tmp_path / "algo-2.log").read_text():
        assert time.monotonic() < deadline, (tmp_path / "algo-2.log").read_text()
        time.sleep(0.2)
    time.sleep(1.0)
    processes[1].send_signal(signal.SIGKILL)
    started = time.monotonic()
    try:
        code = processes[0].wait(timeout=60)
    finally:
        for process in processes:
            process.kill()
    assert code == 1
    assert time.monotonic() - started < 45
    failure = (tmp_path / "algo-1" / "output" / "failure").read_text()
    assert "train failed" in failure
