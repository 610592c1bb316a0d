"""``evaluate`` as a real process on /opt/ml laid out as a SageMaker Processing job lays it out."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from ml_containers.bundle import load_bundle, pack_model_dir
from ml_containers.metrics import MODEL_QUALITY_NAMES, MODEL_QUALITY_SECTION
from ml_containers.schema import METRICS, ProblemType
from sklearn import metrics as skm
from test_train_support import (
    PreparedDataset,
    Split,
    lay_out_training_job,
    prepare,
    run_program,
    write_labeled_csv,
    write_skops_bundle,
)

pytestmark = pytest.mark.slow

DATASETS = ("breast_cancer", "wine", "diabetes")
IMPORTANCE = "feature_importance.png"  # every problem type
PLOTS = {
    ProblemType.BINARY: {
        "roc_curve.png",
        "precision_recall_curve.png",
        "confusion_matrix.png",
        IMPORTANCE,
    },
    ProblemType.MULTICLASS: {"confusion_matrix.png", IMPORTANCE},
    ProblemType.REGRESSION: {"residuals.png", "predicted_vs_actual.png", IMPORTANCE},
}


def lay_out_processing_job(root: Path, model_dir: Path, test: Split) -> Path:
    """``root`` as a Processing job sees /opt/ml: the model tarball and the test split."""
    pack_model_dir(model_dir, root / "processing/input/model/model.tar.gz")
    write_labeled_csv(root / "processing/input/test/test.csv", test)
    return root


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, tuple[PreparedDataset, Path]]:
    """Each dataset prepared and trained once by the real ``train`` program."""
    out = {}
    for name in DATASETS:
        data = prepare(name)
        root = lay_out_training_job(tmp_path_factory.mktemp(f"train-{name}"), data)
        result = run_program("train", root)
        assert result.returncode == 0, result.stderr
        out[name] = (data, root / "model")
    return out


@pytest.fixture(scope="module")
def evaluated(models, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    runs = {}
    for name, (data, model_dir) in models.items():
        root = lay_out_processing_job(tmp_path_factory.mktemp(f"eval-{name}"), model_dir, data.test)
        result = run_program("evaluate", root)
        assert result.returncode == 0, result.stderr
        assert not (root / "output" / "message").exists()
        output = root / "processing" / "evaluation"
        runs[name] = (output, json.loads((output / "evaluation.json").read_text()))
    return runs


def test_breast_cancer_report_says_test_auc_is_at_least_0_97(evaluated, models):
    _, report = evaluated["breast_cancer"]
    auc = report["metrics"]["auc"]["value"]  # the path a pipeline's JsonGet reads
    assert auc >= 0.97
    data, model_dir = models["breast_cancer"]
    probabilities = load_bundle(model_dir).predict(data.test.features)
    assert auc == pytest.approx(skm.roc_auc_score(data.test.labels, probabilities[:, 1]))
    assert report["gate"] == {
        "metric": "auc",
        "threshold": 0.75,
        "higher_is_better": True,
        "bound": "at least",
        "value": auc,
        "margin": auc - 0.75,
        "passed": True,
    }


def _evaluate_with(models, name: str, tmp_path: Path, **gate: str):
    data, model_dir = models[name]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    env = {f"GATE_{key.upper()}": value for key, value in gate.items()}
    return root, run_program("evaluate", root, env=env)


@pytest.mark.parametrize(
    ("name", "metric", "threshold", "passed"),
    [
        ("breast_cancer", "log_loss", "0.5", True),  # an error: at most the threshold
        ("breast_cancer", "log_loss", "0.001", False),
        ("diabetes", "rmse", "1000", True),
        ("diabetes", "rmse", "1", False),
        ("wine", "accuracy", "0.9999", False),  # a score: at least the threshold
    ],
)
def test_a_gate_metric_chosen_at_run_time_is_judged_in_its_own_direction(
    models, tmp_path, name, metric, threshold, passed
):
    root, result = _evaluate_with(models, name, tmp_path, metric=metric, threshold=threshold)
    assert result.returncode == 0, result.stderr
    report = json.loads((root / "processing/evaluation/evaluation.json").read_text())
    gate = report["gate"]
    value = report["metrics"][metric]["value"]
    lower_is_better = not METRICS[metric].higher_is_better
    assert (gate["metric"], gate["value"], gate["threshold"]) == (metric, value, float(threshold))
    assert gate["bound"] == ("at most" if lower_is_better else "at least")
    # The pipeline's condition reads only this: margin >= 0 exactly when the metric passes.
    assert (gate["margin"] >= 0) is gate["passed"] is passed
    assert gate["margin"] == pytest.approx(
        float(threshold) - value if lower_is_better else value - float(threshold)
    )


@pytest.mark.parametrize(
    ("name", "gate", "expected"),
    [
        ("diabetes", {"metric": "auc"}, "GATE_METRIC='auc' is not a metric of a regression model"),
        ("wine", {"metric": "nonsense"}, "choose one of accuracy, macro_f1, weighted_f1, log_loss"),
        ("breast_cancer", {"metric": "auc", "threshold": "high"}, "GATE_THRESHOLD='high'"),
        ("breast_cancer", {"threshold": "nan"}, "is not a finite number"),
    ],
)
def test_a_gate_the_model_cannot_be_judged_by_fails_the_job_saying_why(
    models, tmp_path, name, gate, expected
):
    root, result = _evaluate_with(models, name, tmp_path, **gate)
    assert result.returncode == 1
    assert expected in (root / "output" / "message").read_text()
    assert not (root / "processing/evaluation/evaluation.json").exists()


@pytest.mark.parametrize("name", DATASETS)
def test_every_applicable_gate_metric_is_reported(evaluated, models, name):
    _, report = evaluated[name]
    problem_type = models[name][0].schema.problem_type
    assert report["problem_type"] == problem_type.value
    applicable = {n for n, spec in METRICS.items() if problem_type in spec.problem_types}
    assert applicable <= set(report["metrics"])
    for entry in report["metrics"].values():
        assert isinstance(entry["value"], float)
    gate = models[name][0].schema.gate
    assert report["gate"]["value"] == report["metrics"][gate.name]["value"]
    assert report["dataset"]["item_count"] == models[name][0].test.labels.size


@pytest.mark.parametrize("name", DATASETS)
def test_model_quality_section_follows_sagemakers_format(evaluated, models, name):
    _, report = evaluated[name]
    data = models[name][0]
    problem_type = data.schema.problem_type
    section = report[MODEL_QUALITY_SECTION[problem_type]]
    for metric in MODEL_QUALITY_NAMES[problem_type]:
        assert set(section[metric]) == {"value", "standard_deviation"}
        assert isinstance(section[metric]["value"], float)
        assert section[metric]["standard_deviation"] == "NaN"  # under 200 test rows
    if problem_type.is_classification:
        matrix = section["confusion_matrix"]
        assert list(matrix) == data.schema.classes
        assert sum(sum(row.values()) for row in matrix.values()) == data.test.labels.size
        # rows are actual classes: each row sums to that class's count in the test split
        for index, actual in enumerate(data.schema.classes):
            assert sum(matrix[actual].values()) == int((data.test.labels == index).sum())
        counts = np.array(report["confusion_matrix"]["counts"])
        assert np.trace(counts) / counts.sum() == pytest.approx(section["accuracy"]["value"])
    else:
        assert section["rmse"]["value"] == pytest.approx(np.sqrt(section["mse"]["value"]))
        assert section["r2"]["value"] == report["metrics"]["r2"]["value"]
    if problem_type is ProblemType.BINARY:
        roc = section["receiver_operating_characteristic_curve"]
        assert len(roc["false_positive_rates"]) == len(roc["true_positive_rates"]) >= 2
        assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0
        assert len(section["precision_recall_curve"]["precisions"]) >= 2


@pytest.mark.parametrize("name", DATASETS)
def test_plots_fit_the_problem_type_and_are_png(evaluated, models, name):
    output, report = evaluated[name]
    expected = PLOTS[models[name][0].schema.problem_type]
    assert set(report["plots"]) == expected
    for plot in expected:
        assert (output / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", DATASETS)
def test_feature_importance_ranks_every_feature_by_the_gate_metric(evaluated, models, name):
    _, report = evaluated[name]
    data = models[name][0]
    block = report["feature_importance"]
    assert block["method"] == "permutation"
    assert block["metric"] == report["gate"]["metric"]
    assert block["rows"] == min(len(data.test.labels), 2000) and block["repeats"] == 3
    names = [entry["feature"] for entry in block["features"]]
    bundle_names = json.loads((models[name][1] / "manifest.json").read_text())["feature_names"]
    assert sorted(names) == sorted(bundle_names)  # each feature once, by its bundle name
    means = [entry["mean"] for entry in block["features"]]
    assert means == sorted(means, reverse=True)
    assert means[0] > 0  # some feature matters to a model that passed its gate
    assert all(entry["std"] >= 0 for entry in block["features"])


def test_multiclass_report_has_per_class_figures(evaluated, models):
    _, report = evaluated["wine"]
    classes = models["wine"][0].schema.classes
    assert list(report["per_class"]) == classes
    supports = [report["per_class"][c]["support"] for c in classes]
    assert supports == np.bincount(models["wine"][0].test.labels.astype(int)).tolist()


def test_standard_deviations_are_numbers_from_200_rows(models, tmp_path):
    data, model_dir = models["breast_cancer"]
    everything = Split(
        np.vstack([data.train.features, data.validation.features, data.test.features]),
        np.concatenate([data.train.labels, data.validation.labels, data.test.labels]),
        {},
    )
    root = lay_out_processing_job(tmp_path, model_dir, everything)
    result = run_program("evaluate", root)
    assert result.returncode == 0, result.stderr
    report = json.loads((root / "processing/evaluation/evaluation.json").read_text())
    section = report["binary_classification_metrics"]
    spreads = [section[m]["standard_deviation"] for m in MODEL_QUALITY_NAMES[ProblemType.BINARY]]
    assert all(isinstance(s, float) and s >= 0 for s in spreads)
    assert section["accuracy"]["standard_deviation"] > 0


def test_a_skops_bundle_is_evaluated_like_an_xgboost_one(tmp_path):
    from sklearn.linear_model import LogisticRegression

    data = prepare("wine")
    model = LogisticRegression(max_iter=1000).fit(data.train.features, data.train.labels)
    bundle_dir = write_skops_bundle(model, tmp_path / "bundle", data)
    root = lay_out_processing_job(tmp_path / "ml", bundle_dir, data.test)
    result = run_program("evaluate", root)
    assert result.returncode == 0, result.stderr
    report = json.loads((root / "processing/evaluation/evaluation.json").read_text())
    assert report["model"]["format"] == "skops"
    expected = skm.f1_score(data.test.labels, model.predict(data.test.features), average="macro")
    assert report["metrics"]["macro_f1"]["value"] == pytest.approx(expected)


def lay_out_test_parts(root: Path, test: Split, cut: int) -> list[Path]:
    """The test split as preprocess on three hosts writes it: host 0 the first ``cut`` rows,
    host 1 none (an empty part), host 2 the rest; their concatenation is ``test``."""
    folder = root / "processing/input/test"
    (folder / "test.csv").unlink()
    first = Split(test.features[:cut], test.labels[:cut], {})
    rest = Split(test.features[cut:], test.labels[cut:], {})
    (folder / "test-part-00001.csv").write_bytes(b"")
    return [
        write_labeled_csv(folder / "test-part-00002.csv", rest),
        write_labeled_csv(folder / "test-part-00000.csv", first),
    ]


def test_a_test_split_in_parts_from_several_hosts_is_read_whole_and_in_order(
    models, evaluated, tmp_path
):
    data, model_dir = models["breast_cancer"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    lay_out_test_parts(root, data.test, cut=40)
    result = run_program("evaluate", root)
    assert result.returncode == 0, result.stderr
    report = json.loads((root / "processing/evaluation/evaluation.json").read_text())
    _, single = evaluated["breast_cancer"]
    # every row, in the one-file order: the same figures (permutation importance shuffles rows
    # by position, so a reordered or shortened split would move it)
    assert report["metrics"] == single["metrics"]
    assert report["feature_importance"] == single["feature_importance"]


# -- failures --------------------------------------------------------------------------------


def _fails(root: Path, *expected: str, env: dict[str, str] | None = None) -> str:
    result = run_program("evaluate", root, env=env)
    assert result.returncode == 1, result.stdout
    message = (root / "output" / "message").read_text()
    assert "Traceback" not in result.stderr
    assert message.strip() in result.stderr
    for text in expected:
        assert text in message, message
    assert not (root / "processing/evaluation/evaluation.json").exists()
    return message


def test_missing_model_fails(models, tmp_path):
    data, model_dir = models["diabetes"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    (root / "processing/input/model/model.tar.gz").unlink()
    _fails(root, "no model.tar.gz", "/opt/ml/processing/input/model")


def test_missing_test_split_fails(models, tmp_path):
    data, model_dir = models["diabetes"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    (root / "processing/input/test/test.csv").unlink()
    _fails(root, "holds no test.csv")


def test_a_test_split_in_both_forms_fails_naming_the_folder(models, tmp_path):
    data, model_dir = models["diabetes"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    lay_out_test_parts(root, data.test, cut=10)
    write_labeled_csv(root / "processing/input/test/test.csv", data.test)
    _fails(root, "processing/input/test holds both test.csv and 3 test-part-*.csv")


def test_a_test_split_in_neither_form_fails_saying_what_is_there(models, tmp_path):
    data, model_dir = models["diabetes"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    (root / "processing/input/test/test.csv").rename(root / "processing/input/test/rows.csv")
    _fails(root, "holds no test.csv and no test-part-*.csv (found: rows.csv)")


def test_wrong_width_test_split_fails(models, tmp_path):
    data, model_dir = models["wine"]
    wider = Split(np.hstack([data.test.features, data.test.features[:, :1]]), data.test.labels, {})
    root = lay_out_processing_job(tmp_path, model_dir, wider)
    _fails(root, "test.csv has 15 columns", "13 features")


def test_single_class_test_split_fails_clearly_for_binary(models, tmp_path):
    data, model_dir = models["breast_cancer"]
    positive = data.test.labels == 1
    only_one = Split(data.test.features[positive], data.test.labels[positive], {})
    root = lay_out_processing_job(tmp_path, model_dir, only_one)
    _fails(root, "single class", "AUC")


def test_model_tarball_with_path_traversal_is_refused(models, tmp_path):
    data, model_dir = models["diabetes"]
    root = lay_out_processing_job(tmp_path, model_dir, data.test)
    archive = root / "processing/input/model/model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.iterdir()):
            tar.add(path, arcname=path.name)
        payload = b"overwritten"
        member = tarfile.TarInfo("../escaped.txt")
        member.size = len(payload)
        tar.addfile(member, io.BytesIO(payload))
    scratch = tmp_path / "scratch"  # evaluate unpacks into a temporary directory below TMPDIR
    scratch.mkdir()
    _fails(root, "cannot load the model", "outside the destination", env={"TMPDIR": str(scratch)})
    assert not list(tmp_path.rglob("escaped.txt"))
