"""Shared fixtures for the container programs' tests.

``preprocessed_demo`` (session-scoped) writes the breast-cancer demo CSV with the real
``generate-data`` program and runs the real ``preprocess`` program on it once, in a temporary
``OPT_ML_ROOT`` laid out as a SageMaker Processing job; other programs' tests can start from
its outputs (see ``PreprocessedData`` in ``test_preprocess_support.py`` for the paths).
``preprocessed_dataset(name)`` does the same for ``wine`` and ``diabetes``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_preprocess_support import PreprocessedData, lay_out_processing_inputs, run_program


@pytest.fixture(scope="session")
def preprocessed_dataset(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], PreprocessedData]:
    """``get(name)``: the demo dataset ``name`` generated and preprocessed once per session."""
    cache: dict[str, PreprocessedData] = {}

    def get(name: str) -> PreprocessedData:
        if name not in cache:
            work = tmp_path_factory.mktemp(f"preprocessed-{name}")
            csv, schema_file = work / f"{name}.csv", work / f"{name}.yaml"
            generated = run_program(
                "generate-data", "demo", "--dataset", name, "--out", str(csv),
                "--schema-out", str(schema_file),
            )  # fmt: skip
            assert generated.returncode == 0, generated.stderr
            root = lay_out_processing_inputs(work / "opt_ml", [csv], schema_file)
            result = run_program("preprocess", root=root)
            assert result.returncode == 0, result.stderr
            cache[name] = PreprocessedData(root, csv, schema_file, result.stdout)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def preprocessed_demo(preprocessed_dataset: Callable[[str], PreprocessedData]) -> PreprocessedData:
    """The breast-cancer demo data, preprocessed with default arguments."""
    return preprocessed_dataset("breast_cancer")
