"""The synthetic target is learnable: preprocessed synthetic data trains a model that clears the
bundled schema's gate metric, for every problem type."""

from __future__ import annotations

import numpy as np
import pytest
from ml_containers.schema import load_schema
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score, roc_auc_score
from test_preprocess_support import lay_out_processing_inputs, run_program


@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_a_plain_model_clears_the_schema_gate(problem, tmp_path):
    csv_file, schema_file = tmp_path / "data.csv", tmp_path / "schema.yaml"
    generated = run_program(
        "generate-data", "synthetic", "--rows", "8000", "--problem-type", problem,
        "--out", str(csv_file), "--schema-out", str(schema_file),
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    result = run_program("preprocess", root=root)
    assert result.returncode == 0, result.stderr
    output = root / "processing" / "output"
    train = np.loadtxt(output / "train" / "train.csv", delimiter=",")
    test = np.loadtxt(output / "test" / "test.csv", delimiter=",")
    schema = load_schema(schema_file)
    # Linear models: fast and single-threaded; a boosted model (what train uses) only does better.
    if problem == "regression":
        model = Ridge().fit(train[:, 1:], train[:, 0])
        score = r2_score(test[:, 0], model.predict(test[:, 1:]))
    else:
        model = LogisticRegression(max_iter=500).fit(train[:, 1:], train[:, 0])
        if problem == "binary":
            score = roc_auc_score(test[:, 0], model.predict_proba(test[:, 1:])[:, 1])
        else:
            score = f1_score(test[:, 0], model.predict(test[:, 1:]), average="macro")
    assert schema.gate.higher_is_better
    assert score >= schema.gate.threshold, (schema.gate, score)
