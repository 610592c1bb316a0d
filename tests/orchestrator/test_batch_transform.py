"""Batch transform with the real ``serve`` program: one output line per input line, in order,
equal to the bundle's own predictions; DataProcessing with an ID column; jsonlines output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from ml_containers.bundle import load_bundle
from test_local_endpoint_bundles import (
    breast_cancer,
    build_bundle,
    feature_rows_csv,
    register_bundle,
)

from orchestrator.backends.local.batch_transform import (
    DataProcessing,
    run_batch_transform,
    run_batch_transform_for_package,
)
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.local.serve_process import ServeProcess
from orchestrator.backends.local.serving_errors import BatchTransformError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("local-endpoint")]


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("transform") / "bundle")


@pytest.fixture(scope="module")
def server(bundle_dir: Path) -> Iterator[ServeProcess]:
    started = ServeProcess.start(bundle_dir, bundle_dir.parent / "logs", workers=2)
    yield started
    started.stop()


def _rows(count: int) -> np.ndarray:
    _, features, _ = breast_cancer()
    return features[np.arange(count) % len(features)]


def _expected(bundle_dir: Path, rows: np.ndarray) -> np.ndarray:
    bundle = load_bundle(bundle_dir)
    return bundle.predict(bundle.transform.apply_numeric_matrix(rows))


def test_thousand_lines_give_thousand_predictions_in_order(
    tmp_path: Path, bundle_dir: Path, server: ServeProcess
) -> None:
    rows = _rows(1000)
    (tmp_path / "batch.csv").write_bytes(feature_rows_csv(rows))
    result = run_batch_transform(
        tmp_path / "batch.csv",
        tmp_path / "batch.csv.out",
        endpoint_url=server.url,
        max_payload_mb=0.05,  # ~5 requests, so order across concurrent requests matters
        max_concurrent_transforms=2,
    )
    assert (result.records, result.max_concurrent_transforms) == (1000, 2)
    assert result.requests >= 5
    lines = (tmp_path / "batch.csv.out").read_text().splitlines()
    assert len(lines) == 1000
    expected = _expected(bundle_dir, rows)
    got = np.array([[float(v) for v in line.split(",")[1:]] for line in lines])
    assert np.allclose(got, expected, atol=1e-6)
    labels = [line.split(",")[0] for line in lines]
    assert labels == [["malignant", "benign"][i] for i in expected.argmax(axis=1)]


def test_server_parameters_are_used_when_none_are_given(
    tmp_path: Path, server: ServeProcess
) -> None:
    (tmp_path / "in.csv").write_bytes(feature_rows_csv(_rows(20)))
    result = run_batch_transform(tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url)
    published = server.execution_parameters()
    assert result.max_payload_mb == published["MaxPayloadInMB"]
    assert result.max_concurrent_transforms == published["MaxConcurrentTransforms"]
    assert result.requests == 1


def test_id_column_filtered_out_joined_back_and_selected(tmp_path: Path, bundle_dir: Path) -> None:
    rows = _rows(300)
    with open(tmp_path / "with_ids.csv", "w") as handle:
        for number, line in enumerate(feature_rows_csv(rows).decode().splitlines()):
            handle.write(f"patient-{number},{line}\n")
    registry = LocalModelRegistry(tmp_path / "registry.sqlite")
    package = register_bundle(registry, tmp_path / "store", bundle_dir, "scoring")
    # Given a registered version, the transform unpacks it and starts (and stops) its own server.
    result = run_batch_transform_for_package(
        package,
        tmp_path / "store",
        tmp_path / "work",
        tmp_path / "with_ids.csv",
        tmp_path / "scored.csv",
        data_processing=DataProcessing(
            input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]"
        ),
    )
    assert result.records == 300
    lines = (tmp_path / "scored.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == [f"patient-{n}" for n in range(300)]
    benign = np.array([float(line.split(",")[1]) for line in lines])
    assert np.allclose(benign, _expected(bundle_dir, rows)[:, 1], atol=1e-6)


def test_jsonlines_output_has_one_prediction_per_line(tmp_path: Path, server: ServeProcess) -> None:
    (tmp_path / "in.csv").write_bytes(feature_rows_csv(_rows(40)))
    run_batch_transform(
        tmp_path / "in.csv",
        tmp_path / "out.jsonl",
        endpoint_url=server.url,
        accept="application/jsonlines",
        max_payload_mb=0.002,
    )
    predictions = [
        orjson.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()
    ]
    assert len(predictions) == 40
    assert all(set(p["probabilities"]) == {"malignant", "benign"} for p in predictions)


def test_a_bad_row_fails_the_job_naming_its_lines(tmp_path: Path, server: ServeProcess) -> None:
    body = feature_rows_csv(_rows(50)).decode().splitlines()
    body[30] = body[30].replace(",", ",oops,", 1)  # 31 columns on line 31
    (tmp_path / "in.csv").write_text("\n".join(body) + "\n")
    with pytest.raises(BatchTransformError, match=r"answered 400 for lines 1-50: .*31"):
        run_batch_transform(tmp_path / "in.csv", tmp_path / "out.csv", endpoint_url=server.url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
