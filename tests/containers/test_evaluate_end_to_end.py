"""generate-data demo -> preprocess -> train -> evaluate, every step a real process.

The ``preprocessed_dataset`` fixture (conftest.py) runs ``generate-data`` and ``preprocess``;
this test hands their outputs over the way a SageMaker pipeline does (processing outputs become
the training job's channels, the training job's model.tar.gz and the test split become the
evaluation job's inputs) and checks the report at the end of the line.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from ml_containers.bundle import pack_model_dir
from ml_containers.schema import OBJECTIVES, ProblemType, load_schema
from test_train_support import run_program

pytestmark = pytest.mark.slow


def hand_over_to_training(preprocess_output: Path, root: Path) -> Path:
    for channel in ("train", "validation", "transform"):
        shutil.copytree(preprocess_output / channel, root / "input" / "data" / channel)
    config = root / "input" / "config"
    config.mkdir(parents=True)
    (config / "hyperparameters.json").write_text(json.dumps({"nthread": "2"}))
    return root


def hand_over_to_evaluation(model_dir: Path, test_dir: Path, root: Path) -> Path:
    pack_model_dir(model_dir, root / "processing" / "input" / "model" / "model.tar.gz")
    shutil.copytree(test_dir, root / "processing" / "input" / "test")
    return root


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes"])
def test_demo_data_goes_from_raw_csv_to_evaluation_report(preprocessed_dataset, tmp_path, name):
    preprocessed = preprocessed_dataset(name)
    schema = load_schema(preprocessed.transform_dir)

    training_root = hand_over_to_training(preprocessed.output, tmp_path / "training")
    trained = run_program("train", training_root)
    assert trained.returncode == 0, trained.stderr
    tuning = re.findall(OBJECTIVES[schema.problem_type].tuning_metric_regex, trained.stdout)
    assert len(tuning) == 1

    evaluation_root = hand_over_to_evaluation(
        training_root / "model", preprocessed.output / "test", tmp_path / "evaluation"
    )
    evaluated = run_program("evaluate", evaluation_root)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(
        (evaluation_root / "processing" / "evaluation" / "evaluation.json").read_text()
    )
    assert report["problem_type"] == schema.problem_type.value
    test_rows = sum(1 for _ in (preprocessed.output / "test" / "test.csv").open())
    assert report["dataset"]["item_count"] == test_rows
    assert report["gate"]["metric"] == schema.gate.name
    assert report["gate"]["passed"], report["gate"]
    if schema.problem_type is ProblemType.BINARY:
        assert report["metrics"]["auc"]["value"] >= 0.97
