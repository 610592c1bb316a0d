"""Bring your own data (issue 8), end to end through the installed console scripts: the three
datasets that ship inside scikit-learn (binary breast cancer, multiclass wine, regression
diabetes) each go through the whole job, serving and batch transform included, with ``--data``
and ``--schema``. The "three commands" flow: write the CSV, ``orchestrator schema infer``,
review the draft, ``orchestrator run``. Wine uses the schema ``generate-data`` ships instead,
so both ways of getting a schema are covered. Breast cancer gets an ID column, which must come
back in the batch output (SageMaker's JoinSource association)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import STEPS, lean_environments, lines, run_json, run_program, steps_by_name
from ml_containers.schema import load_schema

# One xdist group per dataset: tests reading one dataset's run share its state directory (and
# the module fixture's cache, which is per worker), while different datasets spread over workers.
pytestmark = pytest.mark.slow
BREAST_CANCER_GROUP = pytest.mark.xdist_group("e2e-breast-cancer")

EXPECTED = {
    "breast_cancer": ("diagnosis", "binary_classification"),
    "wine": ("cultivar", "multiclass_classification"),
    "diabetes": ("disease_progression", "regression"),
}
CLASSES = {
    "breast_cancer": ["benign", "malignant"],
    "wine": ["class_0", "class_1", "class_2"],
    "diabetes": None,
}


def add_id_column(path: Path) -> dict[str, list[str]]:
    """Prefix every row with a unique patient ID; returns each ID's original row."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    by_id = {f"P-{number:05d}": row for number, row in enumerate(rows[1:])}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", *rows[0]])
        writer.writerows([identifier, *row] for identifier, row in by_id.items())
    return by_id


def prepare(folder: Path, dataset: str) -> tuple[Path, Path, dict[str, list[str]]]:
    """Commands one and two (write the CSV, draft the schema) and the review."""
    data, schema = folder / f"{dataset}.csv", folder / f"{dataset}.schema.yaml"
    shipped = ["--schema-out", schema] if dataset == "wine" else []
    written = run_program(
        "generate-data", "demo", "--dataset", dataset, "--out", data, *shipped, cwd=folder
    )
    assert written.returncode == 0, written.stderr
    ids = add_id_column(data) if dataset == "breast_cancer" else {}
    if dataset != "wine":
        drafted = run_program("orchestrator", "schema", "infer", "--data", data, "--out", schema,
                              cwd=folder)  # fmt: skip
        assert drafted.returncode == 0, drafted.stderr
        assert "Review it, then run" in drafted.stderr
    # The review: what a person checks before training on the draft.
    reviewed = yaml.safe_load(schema.read_text())
    assert (reviewed["target"]["name"], reviewed["problem_type"]) == EXPECTED[dataset]
    assert reviewed.get("id_columns", []) == (["patient_id"] if ids else [])
    return data, schema, ids


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``job(dataset)``: the whole job run once per dataset (command three), cached."""
    results: dict[str, tuple[Path, Path, dict[str, Any], dict[str, list[str]]]] = {}

    def run(dataset: str) -> tuple[Path, Path, dict[str, Any], dict[str, list[str]]]:
        if dataset not in results:
            folder = tmp_path_factory.mktemp(dataset)
            environments = lean_environments(folder)
            data, schema, ids = prepare(folder, dataset)
            summary = run_json(environments, "run", "--data", data, "--schema", schema, cwd=folder)
            results[dataset] = (folder, schema, summary, ids)
        return results[dataset]

    return run


def check_prediction(dataset: str, fields: list[str]) -> None:
    """One CSV output line: ``label,p_0,...`` for classification, ``value`` for regression."""
    classes = CLASSES[dataset]
    if classes is None:
        assert len(fields) == 1
        assert 0 < float(fields[0]) < 500  # disease progression is measured on 25..346
        return
    label, *probabilities = fields
    assert label in classes and len(probabilities) == len(classes)
    numbers = [float(p) for p in probabilities]
    assert abs(sum(numbers) - 1) < 1e-5
    assert classes[numbers.index(max(numbers))] == label


@pytest.mark.parametrize(
    "dataset",
    [
        pytest.param("breast_cancer", marks=BREAST_CANCER_GROUP),
        pytest.param("wine", marks=pytest.mark.xdist_group("e2e-wine")),
        pytest.param("diabetes", marks=pytest.mark.xdist_group("e2e-diabetes")),
    ],
)
def test_each_problem_type_trains_serves_and_batch_transforms(job, dataset: str) -> None:  # type: ignore[no-untyped-def]
    _, schema_path, summary, _ = job(dataset)
    schema = load_schema(schema_path)
    assert summary["dataset"]["name"] == schema.name
    assert summary["execution"]["status"] == "Succeeded"
    steps = steps_by_name(summary)
    assert list(steps) == STEPS and all(s["status"] == "Succeeded" for s in steps.values())
    gate = schema.gate
    value = summary["metrics"][gate.name]
    assert value >= gate.threshold if gate.higher_is_better else value <= gate.threshold
    objective = next(iter(summary["best_hyperparameters"]["objective"]))
    assert objective == schema.objective.tuning_metric_name
    assert summary["model_package"]["approval_status"] == "Approved"

    endpoint = summary["endpoint"]
    assert endpoint["status"] == "ok"
    sample = endpoint["sample_prediction"]
    if schema.problem_type.is_classification:
        assert sample["label"] in schema.classes
        assert sorted(sample["probabilities"]) == sorted(schema.classes)
    else:
        assert isinstance(sample["value"], float)

    batch = summary["batch_transform"]
    inputs, outputs = lines(batch["input"]), lines(batch["output"])
    assert len(outputs) == len(inputs) == batch["records"] > 15
    for line in outputs:
        fields = next(csv.reader([line]))
        check_prediction(dataset, fields[len(schema.id_columns) :])


@BREAST_CANCER_GROUP
def test_id_columns_come_back_in_the_batch_output(job) -> None:  # type: ignore[no-untyped-def]
    _, _, summary, ids = job("breast_cancer")
    batch = summary["batch_transform"]
    assert batch["data_processing"] == {
        "input_filter": "$[1:]",
        "join_source": "Input",
        "output_filter": "$[0,31:]",
    }
    sent = [next(csv.reader([line])) for line in lines(batch["input"])]
    returned = [next(csv.reader([line])) for line in lines(batch["output"])]
    assert [row[0] for row in returned] == [row[0] for row in sent]  # the same rows, in order
    for row in sent:  # batch.csv is the ID, then the features as in the user's file
        assert row[1:] == ids[row[0]][:-1]


@BREAST_CANCER_GROUP
def test_batch_transform_command_echoes_ids_with_sagemakers_flags(job) -> None:  # type: ignore[no-untyped-def]
    folder, _, summary, ids = job("breast_cancer")
    source = Path(summary["batch_transform"]["input"])
    output = folder / "scored.csv"
    done = run_program(
        "orchestrator",
        *["batch-transform", "--input", source, "--output", output],
        *["--input-filter", "$[1:]", "--join-source", "Input", "--output-filter", "$[0,-1]"],
        *["--env", "local", "--environments-dir", folder / "environments"],
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    scored = [line.split(",") for line in lines(output)]
    assert len(scored) == len(lines(source))
    for identifier, p_malignant in scored:  # the ID and the last field: P(malignant)
        assert identifier in ids
        assert 0 <= float(p_malignant) <= 1
    # The model saw features only: the same rows scored in the run, with ID filtering there too.
    run_scores = [line.split(",") for line in lines(summary["batch_transform"]["output"])]
    assert [(i, float(p)) for i, p in scored] == [(r[0], float(r[-1])) for r in run_scores]
