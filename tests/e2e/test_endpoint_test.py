"""``orchestrator endpoint-test`` (issue 17) end to end on the local backend: the serving version
scores its held-out rows behind a real endpoint as its evaluation did; labels that disagree with
the model, or a latency budget no endpoint meets, fail it with exit 1 naming the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from e2e_support import lean_environments, run_json, run_program

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-endpoint-test")]


def endpoint_test(environments: Path, folder: Path) -> tuple[int, str, str]:
    done = run_program(
        "orchestrator", "endpoint-test", "--env", "local", "--environments-dir", environments,
        cwd=folder,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def test_endpoint_test_passes_then_fires_on_wrong_labels_and_on_latency(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("endpoint-test")
    environments = lean_environments(folder)
    summary = run_json(environments, "run", cwd=folder)

    passed = run_json(environments, "endpoint-test", cwd=folder)
    assert passed["passed"] and passed["problems"] == []
    assert passed["model"] == f"{summary['model_package']['group']} v1"
    assert passed["metric"] == "auc" and abs(passed["measured"] - passed["registered"]) <= 0.02
    assert passed["rows"] > 15 and passed["requests"] >= 1

    # Every held-out label flipped: the endpoint now disagrees with the "truth" it is scored on.
    # The store's file, not its journal (.versions/<bucket>/<key>/.v/ is a folder of that name).
    [labels] = [
        path
        for path in (folder / "state").rglob("Preprocess/output/batch/labels.csv")
        if path.is_file() and ".versions" not in path.parts
    ]
    original = labels.read_text()
    flip = {"benign": "malignant", "malignant": "benign"}
    labels.write_text("".join(flip[line] + "\n" for line in original.splitlines()))
    code, out, err = endpoint_test(environments, folder)
    assert code == 1, err
    assert "FAILED: auc behind the endpoint is" in out and "the evaluation registered" in out

    labels.write_text(original)
    local = yaml.safe_load((environments / "local.yaml").read_text())
    local["endpoint"]["test"] = {"p99_latency_ms": 0.001}
    (environments / "local.yaml").write_text(yaml.safe_dump(local))
    code, out, err = endpoint_test(environments, folder)
    assert code == 1, err
    assert "p99 request latency is" in out and "over the budget of 0.001 ms" in out
    assert "Traceback" not in err
