"""Preprocessed data in a local artifact store and training requests on N hosts, for the
multi-host tests. Holds helpers and no tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ml_containers.bundle import load_bundle, safe_extract
from ml_containers.train.labeled_csv import data_files, read_labeled_csv
from sklearn.metrics import roc_auc_score

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.training import TrainingRequest

BIN = Path(sys.executable).parent
BUCKET = "s3://bucket"


def program(name: str, *args: str, root: Path | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "OPT_ML"))}
    if root is not None:
        env["OPT_ML_ROOT"] = str(root)
    done = subprocess.run(
        [str(BIN / name), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def preprocessed(work: Path, rows: int, train_parts: int) -> Path:
    """Synthetic binary data run through the real preprocess; its output directory."""
    root = work / "preprocess"
    data = root / "processing" / "input" / "data"
    schema = root / "processing" / "input" / "schema"
    data.mkdir(parents=True)
    schema.mkdir(parents=True)
    program(
        "generate-data",
        "synthetic",
        "--rows",
        str(rows),
        "--out",
        str(data / "rows.csv"),
        "--schema-out",
        str(schema / "schema.yaml"),
        "--seed",
        "3",
    )
    program("preprocess", "--train-parts", str(train_parts), root=root)
    return root / "processing" / "output"


def store_with(work: Path, output: Path) -> ArtifactStore:
    store = ArtifactStore(work / "store")
    for name in ("train", "validation", "transform"):
        store.publish(output / name, f"{BUCKET}/preprocess/{name}")
    return store


def training_request(
    count: int, hyperparameters: dict[str, str] | None = None, name: str = "job"
) -> TrainingRequest:
    channels = [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"{BUCKET}/preprocess/{channel}",
                    "S3DataDistributionType": "ShardedByS3Key"
                    if channel == "train"
                    else "FullyReplicated",
                }
            },
            **({"ContentType": "text/csv"} if channel != "transform" else {}),
        }
        for channel in ("train", "validation", "transform")
    ]
    definition: dict[str, Any] = {
        "AlgorithmSpecification": {
            "TrainingImage": "local",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "validation:auc", "Regex": r"validation:auc=([0-9eE.+-]+)"}
            ],
        },
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": f"{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": count},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    params = {"seed": "7", "num_round": "60", **(hyperparameters or {})}
    return TrainingRequest("Train", name, f"arn:local:{name}", params, definition, threads=2)


def model_auc(store: ArtifactStore, model_uri: str, output: Path, work: Path) -> float:
    """AUC of the published model on the preprocessed test split."""
    target = work / "unpacked" / model_uri.split("/")[-3]
    safe_extract(store.path(model_uri), target)
    bundle = load_bundle(target)
    test = read_labeled_csv(data_files(output / "test"), len(bundle.manifest.feature_names), "t")
    return float(roc_auc_score(test.labels, bundle.predict(test.features)[:, 1]))
