"""Log the benchmark's XGBoost model with MLflow's xgboost flavor (run by the MLflow venv's
Python, not the project's): ``python mlflow_log_model.py MODEL_FILE TRACKING_URI OUT_JSON``.

The booster is the very file ``train`` wrote, so all three servers score the same trees.
Prints nothing; writes ``{"model_uri": ...}`` to OUT_JSON for ``mlflow models serve -m``.
"""

from __future__ import annotations

import json
import sys

import mlflow
import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow.models import infer_signature


def main(model_file: str, tracking_uri: str, out_json: str) -> None:
    booster = xgb.Booster()
    booster.load_model(model_file)
    names = booster.feature_names or [f"f{i}" for i in range(booster.num_features())]
    example = pd.DataFrame(np.zeros((1, len(names)), dtype=np.float64), columns=names)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("benchmarks")
    with mlflow.start_run():
        info = mlflow.xgboost.log_model(
            booster,
            name="model",
            signature=infer_signature(example, booster.inplace_predict(example.to_numpy())),
        )
    with open(out_json, "w") as handle:
        json.dump({"model_uri": info.model_uri, "feature_names": names}, handle)


if __name__ == "__main__":
    main(*sys.argv[1:4])
