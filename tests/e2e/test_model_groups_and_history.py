"""End to end through the console scripts: one model package group per dataset (issue 16), and
the local deployment history (issue 25).

A run on another dataset (``run --data wine.csv --schema wine.schema.yaml``) registers into
that dataset's own group, so the environment's ``latest-approved`` (what ``endpoint serve``,
``batch-transform`` and ``deploy`` take by default) is still a model of the environment's
dataset, and ``--dataset`` reaches the other one. A local run's deployment is in the history."""

from __future__ import annotations

import pytest
from e2e_support import lean_environments, run_json, run_program

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-model-groups")]


def test_a_run_on_another_dataset_registers_into_its_own_group_not_the_environments(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("groups")
    environments = lean_environments(folder)  # the environment's dataset: demo breast_cancer
    own = run_json(environments, "run", cwd=folder)
    wine_csv, wine_schema = folder / "wine.csv", folder / "wine.schema.yaml"
    written = run_program(
        "generate-data", "demo", "--dataset", "wine", "--out", wine_csv,
        "--schema-out", wine_schema, cwd=folder,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    other = run_json(environments, "run", "--data", wine_csv, "--schema", wine_schema, cwd=folder)

    assert own["model_package"]["group"] == "mlops-local-models-breast-cancer"
    assert other["model_package"]["group"] == "mlops-local-models-wine"
    assert own["model_package"]["version"] == other["model_package"]["version"] == 1

    # The environment's group knows only its own dataset's version ...
    listed = run_json(environments, "models", "list", cwd=folder)
    assert [(p["group"], p["version"]) for p in listed] == [("mlops-local-models-breast-cancer", 1)]
    assert {p["metadata"]["schema_name"] for p in listed} == {"breast_cancer"}
    # ... and --dataset names the other one.
    wine = run_json(environments, "models", "list", "--dataset", "wine", cwd=folder)
    assert [(p["group"], p["metadata"]["schema_name"]) for p in wine] == [
        ("mlops-local-models-wine", "wine")
    ]
    assert wine[0]["metadata"]["serving_signature"] != listed[0]["metadata"]["serving_signature"]


def test_a_local_run_records_its_deployment_in_the_endpoint_history(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("history")
    environments = lean_environments(folder)
    summary = run_json(environments, "run", cwd=folder)

    [event] = run_json(environments, "endpoint", "history", cwd=folder)
    assert (event["command"], event["outcome"]) == ("run", "InService")
    assert event["package"]["arn"] == summary["model_package"]["arn"]
    assert event["who"].startswith("local:") and event["environment"] == "local"
