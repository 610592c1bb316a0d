"""``train`` as a real process on /opt/ml laid out as a SageMaker training job lays it out."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from ml_containers.bundle import load_bundle, read_manifest
from ml_containers.schema import OBJECTIVES, ProblemType
from ml_containers.train.channels import channel_files
from ml_containers.train.labeled_csv import read_labeled_csv
from sklearn import metrics as skm
from test_train_support import (
    PreparedDataset,
    lay_out_training_job,
    prepare,
    run_program,
    write_labeled_csv,
)

pytestmark = pytest.mark.slow

DATASETS = ("breast_cancer", "wine", "diabetes")


@pytest.fixture(scope="module")
def prepared() -> dict[str, PreparedDataset]:
    return {name: prepare(name) for name in DATASETS}


@pytest.fixture(scope="module")
def trained(prepared, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Each dataset trained once: its OPT_ML_ROOT and the program's stdout."""
    runs = {}
    for name, data in prepared.items():
        root = lay_out_training_job(tmp_path_factory.mktemp(name), data)
        result = run_program("train", root, env={"TRAINING_JOB_NAME": f"job-{name}"})
        assert result.returncode == 0, result.stderr
        assert not (root / "output" / "failure").exists()
        runs[name] = (root, result.stdout)
    return runs


@pytest.mark.parametrize("name", DATASETS)
def test_metric_lines_match_the_tuning_regex_for_every_eval_metric(trained, prepared, name):
    _, stdout = trained[name]
    objective = OBJECTIVES[prepared[name].schema.problem_type]
    tuning = re.findall(objective.tuning_metric_regex, stdout)
    assert len(tuning) == 1, stdout
    assert float(tuning[0]) > 0
    for split in ("train", "validation"):
        for metric in objective.eval_metrics:
            assert re.search(rf"^{split}:{metric}=[0-9eE.+-]+$", stdout, re.MULTILINE), stdout


@pytest.mark.parametrize("name", DATASETS)
def test_bundle_has_model_manifest_schema_and_transform(trained, prepared, name):
    root, stdout = trained[name]
    data = prepared[name]
    model_dir = root / "model"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "manifest.json",
        "model.ubj",
        "schema.json",
        "transform.json",
    ]
    manifest = read_manifest(model_dir)
    assert manifest.format == "xgboost"
    assert manifest.model_id == f"job-{name}"
    assert manifest.problem_type is data.schema.problem_type
    assert manifest.classes == data.schema.classes
    assert manifest.input_columns == data.schema.feature_names
    assert manifest.feature_names == data.transform.output_names
    assert set(manifest.library_versions) == {"xgboost", "numpy", "python", "ml_containers"}
    assert manifest.hyperparameters["nthread"] == 2
    assert manifest.hyperparameters["objective"] == data.schema.objective.xgboost_objective
    assert manifest.created_at
    extra = manifest.model_extra or {}
    assert 0 <= extra["best_iteration"] < extra["rounds_trained"]
    # The metrics printed for the tuner are the ones recorded in the manifest.
    for key, value in manifest.training_metrics.items():
        printed = re.search(rf"^{key}=([0-9eE.+-]+)$", stdout, re.MULTILINE)
        assert printed and float(printed.group(1)) == pytest.approx(value, rel=1e-5, abs=1e-6)
    copied = json.loads((model_dir / "transform.json").read_text())
    assert copied == json.loads((root / "input/data/transform/transform.json").read_text())


@pytest.mark.parametrize("name", DATASETS)
def test_reported_validation_metric_is_what_the_saved_model_scores(trained, prepared, name):
    """The bundle holds the best iteration's model: recomputing the validation metric with an
    independent implementation (scikit-learn) on its predictions gives the reported number."""
    root, _ = trained[name]
    data = prepared[name]
    bundle = load_bundle(root / "model")
    predictions = bundle.predict(data.validation.features)
    metrics = bundle.manifest.training_metrics
    labels = data.validation.labels
    if data.schema.problem_type is ProblemType.BINARY:
        assert predictions.shape == (labels.size, 2)
        expected = skm.roc_auc_score(labels, predictions[:, 1])
        assert metrics["validation:auc"] == pytest.approx(expected, abs=1e-4)
    elif data.schema.problem_type is ProblemType.MULTICLASS:
        assert predictions.shape == (labels.size, 3)
        normalized = predictions / predictions.sum(axis=1, keepdims=True)  # float32 rounding
        expected = skm.log_loss(labels, normalized, labels=[0, 1, 2])
        assert metrics["validation:mlogloss"] == pytest.approx(expected, rel=1e-3)
    else:
        assert predictions.shape == (labels.size,)
        expected = float(np.sqrt(np.mean((predictions - labels) ** 2)))
        assert metrics["validation:rmse"] == pytest.approx(expected, rel=1e-3)


def test_breast_cancer_model_is_good(trained, prepared):
    root, _ = trained["breast_cancer"]
    data = prepared["breast_cancer"]
    bundle = load_bundle(root / "model")
    auc = skm.roc_auc_score(data.test.labels, bundle.predict(data.test.features)[:, 1])
    assert auc >= 0.97


def test_channels_can_come_from_sm_channel_variables_and_be_sharded(prepared, tmp_path):
    """SM_CHANNEL_* overrides the default mount point; a channel may hold several (gzipped)
    CSV files."""
    data = prepared["wine"]
    root = lay_out_training_job(tmp_path / "ml", data)
    (root / "input/config/inputdataconfig.json").unlink()  # local runs have none
    elsewhere = tmp_path / "elsewhere"
    shutil.move(root / "input/data/train", elsewhere)
    half = data.train.labels.size // 2
    (elsewhere / "train.csv").unlink()
    for part, index in (("part-0.csv", slice(None, half)), ("part-1.csv", slice(half, None))):
        shard = type(data.train)(data.train.features[index], data.train.labels[index], {})
        write_labeled_csv(elsewhere / part, shard)
    compressed = elsewhere / "part-1.csv.gz"  # channels may hold gzipped CSV too
    compressed.write_bytes(gzip.compress((elsewhere / "part-1.csv").read_bytes()))
    (elsewhere / "part-1.csv").unlink()
    # SageMaker starts the container as `<image> train`: the word may be passed through.
    result = run_program("train", root, "train", env={"SM_CHANNEL_TRAIN": str(elsewhere)})
    assert result.returncode == 0, result.stderr
    assert f"{data.train.labels.size} train rows" in result.stdout
    assert read_manifest(root / "model").model_id.startswith("local-")


def test_tuner_and_toolkit_keys_are_ignored_and_strings_are_parsed(prepared, tmp_path):
    hyperparameters = {
        "_tuning_objective_metric": "validation:auc",
        "sagemaker_program": "ignored",
        "num_round": "5",
        "early_stopping_rounds": "0",
        "max_depth": '"3"',  # the SageMaker Python SDK JSON-encodes some values
        "eta": "0.3",
        "tree_method": "approx",
        "nthread": "1",
    }
    root = lay_out_training_job(tmp_path, prepared["breast_cancer"], hyperparameters)
    result = run_program("train", root)
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(root / "model")
    assert manifest.hyperparameters["max_depth"] == 3
    assert manifest.hyperparameters["tree_method"] == "approx"
    assert "_tuning_objective_metric" not in manifest.hyperparameters
    assert (manifest.model_extra or {})["rounds_trained"] == 5
    assert (manifest.model_extra or {})["best_iteration"] == 4


# -- failures --------------------------------------------------------------------------------


def _fails(root: Path, *expected: str) -> str:
    result = run_program("train", root)
    assert result.returncode == 1, result.stdout
    reason = (root / "output" / "failure").read_text()
    assert "Traceback" not in result.stderr
    assert reason.strip() in result.stderr
    for text in expected:
        assert text in reason, reason
    assert not (root / "model" / "manifest.json").exists()
    return reason


def test_bad_hyperparameter_value_names_key_and_allowed_values(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["breast_cancer"], {"eta": "fast"})
    _fails(root, "eta='fast'", "a number > 0 and <= 1")


def test_out_of_range_hyperparameter_fails(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["breast_cancer"], {"max_depth": "0"})
    _fails(root, "max_depth", "an integer >= 1 and <= 64")


def test_unknown_hyperparameter_names_it_and_the_supported_ones(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["breast_cancer"], {"max_dept": "6"})
    _fails(root, "unknown hyperparameter 'max_dept'", "max_depth", "num_round")


def test_objective_inconsistent_with_problem_type_fails(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["wine"], {"objective": "binary:logistic"})
    _fails(root, "objective 'binary:logistic'", "multiclass_classification", "multi:softprob")


@pytest.mark.parametrize("channel", ["train", "validation", "transform"])
def test_missing_channel_is_named(prepared, tmp_path, channel):
    root = lay_out_training_job(tmp_path, prepared["diabetes"])
    shutil.rmtree(root / "input" / "data" / channel)
    (root / "input/config/inputdataconfig.json").unlink()
    _fails(root, f"channel {channel!r} is missing")


def test_channel_missing_from_input_data_config_is_named(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["diabetes"])
    config_file = root / "input/config/inputdataconfig.json"
    config = json.loads(config_file.read_text())
    del config["validation"]
    config_file.write_text(json.dumps(config))
    _fails(root, "InputDataConfig lacks", "validation")


def test_empty_channel_fails(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["diabetes"])
    (root / "input/data/validation/validation.csv").write_text("")
    _fails(root, "the validation channel has no data rows")


def _validation_in_parts(root: Path, data: PreparedDataset, cut: int) -> Path:
    """The validation channel as two preprocessing hosts write it: host 0's part, then host 1's
    empty one; and with ``cut`` < all rows, host 0's rows split over hosts 0 and 2."""
    folder = root / "input/data/validation"
    (folder / "validation.csv").unlink()
    split = data.validation
    write_labeled_csv(
        folder / "validation-part-00000.csv",
        type(split)(split.features[:cut], split.labels[:cut], {}),
    )
    (folder / "validation-part-00001.csv").write_bytes(b"")
    if cut < split.labels.size:
        write_labeled_csv(
            folder / "validation-part-00002.csv",
            type(split)(split.features[cut:], split.labels[cut:], {}),
        )
    return folder


@pytest.mark.parametrize("cut", [None, 25], ids=["two-hosts", "three-hosts"])
def test_every_validation_part_is_read_in_name_order(prepared, tmp_path, monkeypatch, cut):
    data = prepared["breast_cancer"]
    root = lay_out_training_job(tmp_path, data)
    folder = _validation_in_parts(root, data, cut or data.validation.labels.size)
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", str(folder))
    files = channel_files("validation")
    assert [f.name for f in files] == sorted(p.name for p in folder.iterdir())
    read = read_labeled_csv(files, data.validation.features.shape[1], "the validation channel")
    np.testing.assert_array_equal(read.labels, data.validation.labels)
    np.testing.assert_allclose(read.features, data.validation.features, rtol=1e-6)


def test_training_on_validation_parts_reports_the_one_file_metric(prepared, trained, tmp_path):
    data = prepared["breast_cancer"]
    root = lay_out_training_job(tmp_path, data)
    _validation_in_parts(root, data, 25)
    result = run_program("train", root, env={"TRAINING_JOB_NAME": "job-breast_cancer"})
    assert result.returncode == 0, result.stderr
    regex = OBJECTIVES[data.schema.problem_type].tuning_metric_regex
    [single] = re.findall(regex, trained["breast_cancer"][1])
    [parts] = re.findall(regex, result.stdout)
    assert float(parts) == pytest.approx(float(single), rel=1e-6)


def test_a_validation_channel_in_both_forms_fails_naming_it(prepared, tmp_path):
    data = prepared["diabetes"]
    root = lay_out_training_job(tmp_path, data)
    write_labeled_csv(root / "input/data/validation/validation-part-00000.csv", data.validation)
    _fails(root, "channel 'validation'", "holds both validation.csv and 1 validation-part-*.csv")


def test_wrong_width_names_expected_column_count(prepared, tmp_path):
    data = prepared["breast_cancer"]
    root = lay_out_training_job(tmp_path, data)
    narrower = type(data.train)(data.train.features[:, :-1], data.train.labels, {})
    write_labeled_csv(root / "input/data/train/train.csv", narrower)
    _fails(root, "train.csv has 30 columns", "produces 30 features", "31 columns")


def test_unsupported_content_type_fails(prepared, tmp_path):
    root = lay_out_training_job(
        tmp_path, prepared["breast_cancer"], content_type="application/x-parquet"
    )
    _fails(root, "'application/x-parquet'", "text/csv")


def test_label_out_of_range_fails(prepared, tmp_path):
    data = prepared["wine"]
    root = lay_out_training_job(tmp_path, data)
    labels = data.train.labels.copy()
    labels[4] = 3
    write_labeled_csv(
        root / "input/data/train/train.csv", type(data.train)(data.train.features, labels, {})
    )
    _fails(root, "label 3 at row 5 is out of range", "0..2")


def test_single_class_validation_split_fails_before_training(prepared, tmp_path):
    data = prepared["breast_cancer"]
    root = lay_out_training_job(tmp_path, data)
    benign = data.validation.labels == 1
    write_labeled_csv(
        root / "input/data/validation/validation.csv",
        type(data.validation)(data.validation.features[benign], data.validation.labels[benign], {}),
    )
    _fails(
        root,
        "the validation channel holds a single class ('benign')",
        "AUC (the tuning metric) is undefined",
    )


def test_non_numeric_value_fails_with_the_file_named(prepared, tmp_path):
    root = lay_out_training_job(tmp_path, prepared["diabetes"])
    path = root / "input/data/train/train.csv"
    lines = path.read_text().splitlines()
    fields = lines[2].split(",")
    fields[3] = "abc"
    lines[2] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    _fails(root, "train.csv is not a numeric label-first CSV", "abc")


def test_bad_command_line_is_a_usage_error(tmp_path):
    result = run_program("train", tmp_path, "--verbose")
    assert result.returncode == 2
    assert "unrecognized arguments: --verbose" in result.stderr
