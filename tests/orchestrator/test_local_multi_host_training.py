"""Training jobs on several local hosts (issue #18): N processes on 127.0.0.1, each with its own
/opt/ml, a generated resourceconfig.json and its shard of the train channel; the first host runs
XGBoost's collective tracker and writes the model; one host failing fails the job at once, naming
that host and its log."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from multi_host_support import model_auc, preprocessed, store_with, training_request

from orchestrator.backends.local.errors import StepFailed
from orchestrator.backends.local.jobs import resolve_program
from orchestrator.backends.local.training import run_training_job
from orchestrator.backends.local.tuning import run_tuning

pytestmark = pytest.mark.slow

AUC_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    work = tmp_path_factory.mktemp("multi-host")
    output = preprocessed(work, rows=6000, train_parts=2)
    return work, output, store_with(work, output)


def _train(data, count: int, name: str, command=None, **hyperparameters):
    work, _, store = data
    root = work / name
    properties = run_training_job(
        training_request(count, hyperparameters, name=name),
        store=store,
        opt_ml_root=root,
        log_path=work / "logs" / f"{name}.log",
        train_command=command or [resolve_program("train")],
    )
    return root, properties


def test_preprocess_writes_one_train_part_per_host(data):
    _, output, _ = data
    parts = sorted(p.name for p in (output / "train").iterdir())
    assert parts == ["train-part-00000.csv", "train-part-00001.csv"]
    sizes = [len((output / "train" / p).read_text().splitlines()) for p in parts]
    assert abs(sizes[0] - sizes[1]) <= 1 and min(sizes) > 0


def test_two_local_hosts_train_a_model_whose_auc_is_within_a_small_tolerance_of_one_hosts(data):
    work, output, store = data
    _, one = _train(data, 1, "one-host")
    root, two = _train(data, 2, "two-hosts")
    auc_one = model_auc(store, one["ModelArtifacts"]["S3ModelArtifacts"], output, work)
    auc_two = model_auc(store, two["ModelArtifacts"]["S3ModelArtifacts"], output, work)
    assert auc_one > 0.7
    assert abs(auc_two - auc_one) <= AUC_TOLERANCE, (auc_one, auc_two)
    # each host: its own /opt/ml, resourceconfig naming it, its own part of the train channel
    for index, host in enumerate(("algo-1", "algo-2")):
        config = json.loads((root / host / "input/config/resourceconfig.json").read_text())
        assert config["current_host"] == host and config["hosts"] == ["algo-1", "algo-2"]
        train = sorted(p.name for p in (root / host / "input/data/train").iterdir())
        assert train == [f"train-part-{index:05d}.csv"]
        channels = json.loads((root / host / "input/config/inputdataconfig.json").read_text())
        assert channels["train"]["S3DistributionType"] == "ShardedByS3Key"
    # only the first host writes the model; both report the same validation metric
    assert any((root / "algo-1" / "model").iterdir())
    assert not any((root / "algo-2" / "model").iterdir())
    logs = [work / "logs" / "two-hosts.log", work / "logs" / "two-hosts.algo-2.log"]
    lines = [[x for x in p.read_text().splitlines() if x.startswith("validation:")] for p in logs]
    assert lines[0] and lines[0] == lines[1]
    assert "rank 1 of 2" in logs[1].read_text()
    metric = {m["MetricName"]: m["Value"] for m in two["FinalMetricDataList"]}
    assert metric["validation:auc"] > 0.7


def test_three_hosts_on_two_parts_train_with_one_host_holding_no_rows(data):
    root, properties = _train(data, 3, "three-hosts")
    shards = [
        sorted(p.name for p in (root / host / "input/data/train").glob("*"))
        for host in ("algo-1", "algo-2", "algo-3")
    ]
    # host i gets the i-th contiguous block of the objects in key order: 2 objects, 3 hosts
    assert shards == [[], ["train-part-00000.csv"], ["train-part-00001.csv"]]
    assert properties["TrainingJobStatus"] == "Completed"
    assert any((root / "algo-1" / "model").iterdir())  # the first host writes it, rows or not


KILL_SECOND_HOST = """
import os, signal, sys
import xgboost as xgb

class DieAtRound20(xgb.callback.TrainingCallback):
    def after_iteration(self, model, epoch, evals_log):
        if epoch == 20:
            os.kill(os.getpid(), signal.SIGKILL)
        return False

if os.environ["SM_CURRENT_HOST"] == "algo-2":
    original = xgb.train
    def train(*args, **kwargs):
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), DieAtRound20()]
        return original(*args, **kwargs)
    xgb.train = train
from ml_containers.train.cli import main
sys.exit(main())
"""


def test_a_host_killed_mid_training_fails_the_job_naming_that_host_with_its_log_and_no_hang(
    data, tmp_path
):
    script = tmp_path / "train_then_die.py"
    script.write_text(KILL_SECOND_HOST)
    started = time.monotonic()
    with pytest.raises(StepFailed) as failed:
        _train(
            data,
            2,
            "killed",
            command=[sys.executable, str(script)],
            num_round="5000",
            early_stopping_rounds="0",
            eta="0.001",
        )
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the job took {elapsed:.0f}s to fail"
    reason = failed.value.reason
    assert "host algo-2" in reason and "SIGKILL" in reason, reason
    log = Path(reason.split("log: ")[1].rstrip(")"))
    assert log.name == "killed.algo-2.log" and "up to 5000 rounds" in log.read_text()


def test_a_host_failing_stops_the_others_and_names_that_host(data):
    work, _, store = data
    request = training_request(2, {"max_depth": "0"}, name="bad")
    with pytest.raises(StepFailed) as failed:
        run_training_job(
            request,
            store=store,
            opt_ml_root=work / "bad",
            log_path=work / "logs" / "bad.log",
            train_command=[resolve_program("train")],
        )
    assert failed.value.reason.startswith("host algo-"), failed.value.reason
    assert "max_depth" in failed.value.reason


def test_tuning_runs_each_trial_on_two_hosts(data):
    work, _, store = data
    request = training_request(2, name="unused")
    definition = {**request.definition, "StaticHyperParameters": {"num_round": "30", "seed": "7"}}
    arguments = {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize",
                "MetricName": "validation:auc",
            },
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}]
            },
        },
        "TrainingJobDefinition": definition,
    }
    outcome = run_tuning(
        "Tune",
        arguments,
        store=store,
        work_root=work / "tune",
        log_path=lambda name: work / "tune-logs" / f"{name}.log",
        tuning_job_name="tune-two-hosts",
        arn_prefix="arn:local:",
        train_command=[resolve_program("train")],
        seed=1,
        cores=2,
    )
    best = outcome.properties["BestTrainingJob"]
    assert outcome.properties["TrainingJobStatusCounters"]["Completed"] == 2
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] > 0.7
    second_hosts = sorted((work / "tune-logs").glob("Tune.trial-*.algo-2.log"))
    assert len(second_hosts) == 2
    assert all("rank 1 of 2" in log.read_text() for log in second_hosts)
