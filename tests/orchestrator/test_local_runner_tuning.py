"""Tuning steps in the local runner: real trials (a tiny training script run with SageMaker's
layout), the objective read with the definition's regex (last match) and direction, failed
trials recorded without stopping the search, and reproducibility from the seed."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import pytest
from local_runner_support import definition, get, processing_step

from orchestrator.backends.local.errors import DefinitionError
from orchestrator.backends.local.runner import LocalRunner

TRAIN_SCRIPT = r"""
import json, os, sys
from ml_containers.paths import channel_dir, failure_file, hyperparameters_file, model_dir, opt_ml

hp = json.loads(hyperparameters_file().read_text())
assert all(isinstance(v, str) for v in hp.values()), hp
channels = json.loads(opt_ml("input", "config", "inputdataconfig.json").read_text())
resources = json.loads(opt_ml("input", "config", "resourceconfig.json").read_text())
assert channels["train"]["ContentType"] == "text/csv" and resources["hosts"] == ["algo-1"]
offset = sum(float(v) for v in (channel_dir("train") / "train.csv").read_text().split())
job = os.environ["TRAINING_JOB_NAME"]
if os.environ.get("FAIL_TRIAL") and f"-{os.environ['FAIL_TRIAL']}-" in job:
    failure_file().write_text("trial refused on purpose")
    sys.exit(1)
loss = (float(hp["x"]) - 0.3) ** 2 + 0.01 * int(hp["depth"]) + offset
print("validation:loss=-5.0  (an early epoch; the final value comes last)")
print(f"validation:loss={loss}")
(model_dir() / "model.json").write_text(json.dumps(
    {"hyperparameters": hp, "job": job, "threads": os.environ["OMP_NUM_THREADS"]}))
"""


def tuning_step(max_jobs: int = 6, parallel: int = 2, **definition_changes) -> dict:
    training = {
        "AlgorithmSpecification": {
            "TrainingImage": "local/ml:latest",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "validation:loss", "Regex": r"validation:loss=([-+0-9.eE]+)"}
            ],
        },
        "RoleArn": "arn:aws:iam::000000000000:role/local",
        "StaticHyperParameters": {"num_round": "10"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": get("Parameters.TrainData"),
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        **definition_changes,
    }
    return {
        "Name": "Tune",
        "Type": "Tuning",
        "Arguments": {
            "HyperParameterTuningJobConfig": {
                "Strategy": "Bayesian",
                "ResourceLimits": {
                    "MaxNumberOfTrainingJobs": max_jobs,
                    "MaxParallelTrainingJobs": parallel,
                },
                "HyperParameterTuningJobObjective": {
                    "Type": "Minimize",
                    "MetricName": "validation:loss",
                },
                "ParameterRanges": {
                    "ContinuousParameterRanges": [
                        {
                            "Name": "x",
                            "MinValue": "0.0",
                            "MaxValue": "1.0",
                            "ScalingType": "Linear",
                        },
                        {
                            "Name": "lr",
                            "MinValue": "0.001",
                            "MaxValue": "1.0",
                            "ScalingType": "Logarithmic",
                        },
                    ],
                    "IntegerParameterRanges": [
                        {"Name": "depth", "MinValue": "1", "MaxValue": "5", "ScalingType": "Auto"}
                    ],
                    "CategoricalParameterRanges": [{"Name": "booster", "Values": ["a", "b"]}],
                },
                "TrainingJobEarlyStoppingType": "Off",
            },
            "TrainingJobDefinition": training,
        },
    }


BEST_MODEL = {
    "Std:Join": {
        "On": "/",
        "Values": [
            "s3://bucket/models",
            get("Steps.Tune.TrainingJobSummaries[0].TrainingJobName"),
            "output/model.tar.gz",
        ],
    }
}

USE_BEST = processing_step(
    "UseBest",
    "import json, tarfile, sys\nfrom ml_containers.paths import reroot as P\n"
    "with tarfile.open(P('/opt/ml/processing/model') / 'model.tar.gz') as t:\n"
    "    model = json.load(t.extractfile('model.json'))\n"
    "(P('/opt/ml/processing/out') / 'best.json').write_text(json.dumps(model))\n",
    inputs=[("model", BEST_MODEL, "/opt/ml/processing/model")],
    outputs=[("out", "s3://bucket/best", "/opt/ml/processing/out")],
)

PARAMETERS = [{"Name": "TrainData", "Type": "String", "DefaultValue": "s3://bucket/train/"}]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch) -> LocalRunner:
    train = tmp_path / "store" / "bucket" / "train"
    train.mkdir(parents=True)
    (train / "train.csv").write_text("0\n0\n")
    script = tmp_path / "train_script.py"
    script.write_text(TRAIN_SCRIPT)
    monkeypatch.setenv("FAIL_TRIAL", "002")
    return LocalRunner(
        tmp_path / "store",
        tmp_path / "state",
        None,
        train_command=[sys.executable, str(script)],
        cores=2,
    )


def loss(hyperparameters: dict[str, str]) -> float:
    return (float(hyperparameters["x"]) - 0.3) ** 2 + 0.01 * int(hyperparameters["depth"])


def test_tuning_picks_the_best_trial_by_the_regex_and_direction(runner):
    events = []
    runner.progress = events.append
    execution = runner.start(definition([tuning_step(), USE_BEST], PARAMETERS), {}, "tune", seed=7)
    assert execution.status == "Succeeded", execution.failure_reason
    tune = execution.step("Tune").properties
    summaries = tune["TrainingJobSummaries"]
    assert len(summaries) == 6
    failed = [s for s in summaries if s["TrainingJobStatus"] == "Failed"]
    assert [s["TrainingJobName"].split("-")[-2] for s in failed] == ["002"]
    assert failed[0]["FailureReason"].startswith("trial refused on purpose")
    assert summaries[-1] == failed[0]  # failed trials sort last

    scored = [s for s in summaries if s["ObjectiveStatus"] == "Succeeded"]
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in scored]
    assert values == sorted(values)  # Minimize: best (lowest) first
    for summary in scored:  # the last match, not the early -5.0
        assert summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == pytest.approx(
            loss(summary["TunedHyperParameters"])
        )
    assert tune["BestTrainingJob"] == summaries[0]
    assert tune["TrainingJobStatusCounters"]["Completed"] == 5
    assert set(summaries[0]["TunedHyperParameters"]) == {"x", "lr", "depth", "booster"}
    assert 0.001 <= float(summaries[0]["TunedHyperParameters"]["lr"]) <= 1.0

    best = json.loads((runner.store.path("s3://bucket/best") / "best.json").read_text())
    assert best["job"] == summaries[0]["TrainingJobName"]
    assert best["hyperparameters"] == {
        "nthread": "1",  # 2 cores shared by 2 parallel trials
        "num_round": "10",
        **summaries[0]["TunedHyperParameters"],
    }
    assert best["threads"] == "1"

    trials = [e for e in events if e.kind == "trial_finished"]
    assert [e.trial for e in trials] == [1, 2, 3, 4, 5, 6] and {e.trials for e in trials} == {6}
    assert sum(e.objective is None for e in trials) == 1
    logs = execution.step("Tune").log_files
    assert "logs/Tune.log" in logs and len([p for p in logs if ".trial-" in p]) == 6


def test_the_same_seed_reproduces_the_same_trials(runner):
    pipeline = definition([tuning_step(max_jobs=4)], PARAMETERS)
    first = runner.start(pipeline, {}, "tune", seed=11)
    second = runner.start(pipeline, {}, "tune", seed=11)
    other = runner.start(pipeline, {}, "tune", seed=12)

    def tried(execution):
        summaries = execution.step("Tune").properties["TrainingJobSummaries"]
        return sorted(json.dumps(s["TunedHyperParameters"], sort_keys=True) for s in summaries)

    assert tried(first) == tried(second)
    assert tried(first) != tried(other)


def test_a_search_where_every_trial_fails_fails_the_step(runner, monkeypatch):
    monkeypatch.setenv("FAIL_TRIAL", "")
    step = tuning_step(max_jobs=2)
    step["Arguments"]["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"][0][
        "Regex"
    ] = r"never printed=([0-9.]+)"
    execution = runner.start(definition([step], PARAMETERS), {}, "tune")
    assert execution.status == "Failed"
    assert "all 2 training jobs" in execution.step("Tune").failure_reason
    assert "'validation:loss'" in execution.step("Tune").failure_reason


def test_model_tarball_is_published_under_the_training_job_name(runner):
    execution = runner.start(definition([tuning_step(max_jobs=2)], PARAMETERS), {}, "tune")
    for summary in execution.step("Tune").properties["TrainingJobSummaries"]:
        if summary["TrainingJobStatus"] != "Completed":
            continue
        archive = runner.store.path(
            f"s3://bucket/models/{summary['TrainingJobName']}/output/model.tar.gz"
        )
        with tarfile.open(archive) as tar:
            assert tar.getnames() == ["model.json"]


def test_an_objective_without_a_metric_definition_is_refused_before_any_trial(runner):
    step = tuning_step(max_jobs=2)
    del step["Arguments"]["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"]
    with pytest.raises(DefinitionError, match="no regex for it"):
        runner.start(definition([step], PARAMETERS), {}, "tune")
    assert not list(runner.store.root.glob("bucket/models/*"))
