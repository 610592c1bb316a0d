"""``evaluate``: the Processing-job entry point that scores the test split with a trained model.

Inputs ``/opt/ml/processing/input/model/model.tar.gz``,
``/opt/ml/processing/input/test/test.csv`` and (for the drift baseline) the train split in
``/opt/ml/processing/input/train/``; output ``/opt/ml/processing/evaluation/evaluation.json``,
PNG plots and the baseline's ``statistics.json`` / ``constraints.json`` (all re-rooted by
``OPT_ML_ROOT``). On failure: exit 1, the reason on stderr and in ``/opt/ml/output/message``
(the processing job's ExitMessage).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from .. import paths
from ..metrics import MetricsError, scalar_metrics
from ..train.failure import JobFailure, run_job
from .baseline import baseline_rows, train_input_dir, write_baseline
from .gate import chosen_gate
from .importance import permutation_importance
from .inputs import load_model, model_input_dir, read_test_split, test_input_dir
from .plots import draw_all, feature_importance_plot
from .report import evaluation_document

EVALUATION_OUTPUT = "/opt/ml/processing/evaluation"
EVALUATION_FILE = "evaluation.json"


def message_file() -> Path:
    return paths.opt_ml("output", "message")


def evaluate() -> None:
    output = paths.reroot(EVALUATION_OUTPUT)
    with tempfile.TemporaryDirectory(prefix="evaluate-model-") as workdir:
        bundle = load_model(model_input_dir(), Path(workdir))
        gate = chosen_gate(bundle.schema)  # a bad GATE_METRIC fails before any scoring
        test = read_test_split(test_input_dir(), bundle)
        predictions = bundle.predict(test.features)
        try:
            scalars = scalar_metrics(bundle.problem_type, test.labels, predictions)
        except MetricsError as exc:
            raise JobFailure(str(exc)) from None
        rows, source = baseline_rows(train_input_dir(), test, bundle)
        baseline_files = write_baseline(bundle, rows, source, output)
        importance = permutation_importance(
            bundle.problem_type, bundle.predict, test.features, test.labels,
            bundle.manifest.feature_names, gate,
        )  # fmt: skip
    plots = draw_all(
        bundle.problem_type, test.labels, predictions, bundle.manifest.classes, scalars, output
    )
    plots.append(feature_importance_plot(importance, output))
    document = evaluation_document(bundle, test.labels, predictions, scalars, plots, gate)
    document["feature_importance"] = importance
    output.mkdir(parents=True, exist_ok=True)
    (output / EVALUATION_FILE).write_text(json.dumps(document, indent=2) + "\n")
    block = document["gate"]
    verdict = "passes" if block["passed"] else "does not pass"
    print(
        f"evaluated model {bundle.manifest.model_id} on {test.rows} test rows: "
        f"{block['metric']}={block['value']} {verdict} the gate "
        f"({block['bound']} {block['threshold']})"
    )
    for name, entry in document["metrics"].items():
        print(f"test:{name}={entry['value']}")
    print(f"wrote {output / EVALUATION_FILE} and {', '.join(plots)}", flush=True)
    print(f"wrote the {source} split's drift baseline {', '.join(baseline_files)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="evaluate",
        description=(
            "SageMaker Processing job: score /opt/ml/processing/input/test/test.csv with the "
            "model in /opt/ml/processing/input/model/model.tar.gz and write "
            "/opt/ml/processing/evaluation/evaluation.json and PNG plots (OPT_ML_ROOT re-roots "
            "/opt/ml)."
        ),
    )
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    return run_job("evaluate", evaluate, message_file)


if __name__ == "__main__":
    sys.exit(main())
