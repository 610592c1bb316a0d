"""Hyperparameter parsing: strings in, typed and checked XGBoost parameters out."""

from __future__ import annotations

import pytest
from ml_containers.schema import parse_schema
from ml_containers.train.failure import JobFailure
from ml_containers.train.hyperparameters import parse_hyperparameters


def _schema(problem_type: str):
    target = {"name": "y"}
    if problem_type == "binary_classification":
        target["classes"] = ["no", "yes"]
    if problem_type == "multiclass_classification":
        target["classes"] = ["a", "b", "c", "d"]
    return parse_schema(
        {
            "name": "t",
            "problem_type": problem_type,
            "target": target,
            "features": [{"name": "x", "type": "numeric"}],
        }
    )


def test_defaults_follow_the_problem_type_and_use_every_core():
    config = parse_hyperparameters({}, _schema("multiclass_classification"), cores=7)
    assert config.params["objective"] == "multi:softprob"
    assert config.params["eval_metric"] == ["merror", "mlogloss"]
    assert config.params["num_class"] == 4
    assert config.params["nthread"] == 7
    assert "scale_pos_weight" not in config.params


def test_string_values_become_typed_values():
    raw = {"num_round": "50", "eta": "0.05", "max_depth": "4.0", "subsample": "1", "seed": "9"}
    config = parse_hyperparameters(raw, _schema("binary_classification"), cores=2)
    assert config.num_round == 50
    assert config.params["eta"] == 0.05
    assert config.params["max_depth"] == 4 and isinstance(config.params["max_depth"], int)
    assert config.params["seed"] == 9
    assert config.given == {k: v for k, v in raw.items()}


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("eta", "0", "a number > 0 and <= 1"),
        ("eta", "nan", "a number > 0 and <= 1"),
        ("num_round", "2.5", "an integer >= 1"),
        ("tree_method", "gpu_hist", "one of auto, hist, approx, exact"),
        ("subsample", "1.5", "<= 1"),
        ("max_bin", "-1", "an integer >= 2"),
    ],
)
def test_bad_values_name_key_and_allowed_values(key, value, allowed):
    with pytest.raises(JobFailure) as failure:
        parse_hyperparameters({key: value}, _schema("regression"), cores=2)
    assert f"{key}={value!r}" in str(failure.value)
    assert allowed in str(failure.value)


def test_all_problems_are_reported_at_once():
    raw = {"eta": "x", "depth": "3", "scale_pos_weight": "2", "num_class": "5"}
    with pytest.raises(JobFailure) as failure:
        parse_hyperparameters(raw, _schema("multiclass_classification"), cores=2)
    message = str(failure.value)
    assert "eta='x'" in message
    assert "unknown hyperparameter 'depth'" in message
    assert "scale_pos_weight applies to binary_classification only" in message
    assert "num_class=5 conflicts with the schema: it must be 4" in message


def test_consistent_objective_override_is_kept():
    schema = _schema("regression")
    config = parse_hyperparameters({"objective": "reg:absoluteerror"}, schema, cores=1)
    assert config.params["objective"] == "reg:absoluteerror"
    assert config.params["eval_metric"] == ["mae", "rmse"]


def test_underscore_and_sagemaker_keys_are_ignored():
    raw = {"_tuning_objective_metric": "validation:rmse", "sagemaker_region": "eu-west-1"}
    config = parse_hyperparameters(raw, _schema("regression"), cores=1)
    assert config.given == {}
