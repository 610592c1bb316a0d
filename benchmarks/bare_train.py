"""A bare ``xgboost.train`` on the same data and parameters as a ``train`` run, for the training
overhead benchmark: ``python -m benchmarks.bare_train DATA_DIR MANIFEST OUT_MODEL``.

DATA_DIR is preprocess's output (``train/``, ``validation/``, ``transform/``); the parameters,
round limit and early stopping come from the manifest ``train`` wrote, so both fit the same
model. Reading is the obvious minimum: pyarrow's CSV reader, a float32 matrix, a DMatrix.
Prints one JSON line: seconds, rounds_trained.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import xgboost as xgb
from ml_containers.schema import load_schema


def read_split(path: Path) -> xgb.DMatrix:
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(autogenerate_column_names=True))
    columns = [c.to_numpy() for c in table.columns]
    features = np.column_stack(columns[1:]).astype(np.float32)
    return xgb.DMatrix(features, label=columns[0])


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m benchmarks.bare_train DATA_DIR MANIFEST OUT_MODEL", file=sys.stderr)
        return 2
    started = time.perf_counter()
    data_dir, manifest_path, out_model = Path(argv[0]), Path(argv[1]), argv[2]
    manifest = json.loads(manifest_path.read_text())
    params = dict(manifest["hyperparameters"])
    num_round = int(params.pop("num_round"))
    early_stopping = int(params.pop("early_stopping_rounds"))
    metric = load_schema(data_dir / "transform" / "schema.json").objective.early_stopping_metric
    dtrain = read_split(data_dir / "train" / "train.csv")
    dvalid = read_split(data_dir / "validation" / "validation.csv")
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=num_round,
        evals=[(dvalid, "validation")],
        callbacks=[
            xgb.callback.EarlyStopping(
                rounds=early_stopping, metric_name=metric, data_name="validation", save_best=False
            )
        ],
        verbose_eval=False,
    )
    booster[: booster.best_iteration + 1].save_model(out_model)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rounds_trained": booster.num_boosted_rounds()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
