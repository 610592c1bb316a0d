"""The ``serve`` program over real HTTP for each problem type and each model format: multiclass
XGBoost with a categorical column, regression XGBoost, a scikit-learn model through skops and
one through ONNX. Each serves the same predictions as the in-process model and refuses bad
requests with the same error codes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from serve_helpers import BuiltBundle, ServerProcess, build_bundle, start_servers

CASES = {
    "multiclass-xgboost": ("multiclass", "xgboost"),
    "regression-xgboost": ("regression", "xgboost"),
    "regression-skops": ("regression", "skops"),
    "binary-onnx": ("binary", "onnx"),
}


# One xdist worker runs the whole module, so its servers start once (make test uses loadgroup).
pytestmark = pytest.mark.xdist_group("serve-models")


@pytest.fixture(scope="module")
def deployments(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[BuiltBundle, ServerProcess]]]:
    root = tmp_path_factory.mktemp("models")
    built = {name: build_bundle(root / name, kind, fmt) for name, (kind, fmt) in CASES.items()}
    servers = start_servers(
        [{"model_dir": b.directory, "log_dir": root / "logs"} for b in built.values()]
    )
    yield {name: (built[name], server) for name, server in zip(built, servers, strict=True)}
    for server in servers:
        assert server.stop() == 0


@pytest.fixture(params=list(CASES))
def deployment(
    request: pytest.FixtureRequest, deployments: dict[str, tuple[BuiltBundle, ServerProcess]]
) -> Iterator[tuple[BuiltBundle, httpx.Client]]:
    built, server = deployments[request.param]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield built, client


def _csv(rows: list[list[Any]]) -> bytes:
    return "".join(",".join("" if v is None else str(v) for v in r) + "\n" for r in rows).encode()


def _outputs(built: BuiltBundle, response: httpx.Response) -> np.ndarray:
    classes = built.schema.classes
    kind = response.headers["content-type"]
    if kind.startswith("text/csv"):
        cells = [line.split(",") for line in response.text.splitlines()]
        if classes:
            assert [c[0] for c in cells] == [
                classes[int(np.argmax([float(v) for v in c[1:]]))] for c in cells
            ]
            return np.array([[float(v) for v in c[1:]] for c in cells])
        return np.array([float(c[0]) for c in cells])
    if kind.startswith("application/jsonlines"):
        predictions = [orjson.loads(line) for line in response.content.splitlines()]
    else:
        predictions = response.json()["predictions"]
    if classes:
        assert all(set(p) == {"label", "probabilities"} for p in predictions)
        return np.array([[p["probabilities"][c] for c in classes] for p in predictions])
    assert all(set(p) == {"value"} for p in predictions)
    return np.array([p["value"] for p in predictions])


@pytest.mark.parametrize("accept", ["application/json", "text/csv", "application/jsonlines"])
def test_csv_predictions_match_the_in_process_model(
    deployment: tuple[BuiltBundle, httpx.Client], accept: str
) -> None:
    built, client = deployment
    rows = built.raw_rows[:25]
    response = client.post(
        "/invocations", content=_csv(rows), headers={"Content-Type": "text/csv", "Accept": accept}
    )
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(
        _outputs(built, response), built.expected(rows), rtol=1e-9, atol=1e-12
    )


def test_json_objects_and_jsonlines_match(deployment: tuple[BuiltBundle, httpx.Client]) -> None:
    built, client = deployment
    rows = built.raw_rows[30:40]
    objects = [dict(zip(built.feature_names, r, strict=True)) for r in rows]
    expected = built.expected(rows)
    json_response = client.post(
        "/invocations",
        content=orjson.dumps({"instances": objects}),
        headers={"Content-Type": "application/json"},
    )
    lines_response = client.post(
        "/invocations",
        content=b"\n".join(orjson.dumps(o) for o in objects),
        headers={"Content-Type": "application/jsonlines", "Accept": "application/jsonlines"},
    )
    for response in (json_response, lines_response):
        assert response.status_code == 200, response.text
        np.testing.assert_allclose(_outputs(built, response), expected, rtol=1e-9, atol=1e-12)


def test_npy_for_numeric_schemas(deployment: tuple[BuiltBundle, httpx.Client]) -> None:
    built, client = deployment
    rows = [list(r) for r in built.raw_rows[:5]]
    categorical = [i for i, v in enumerate(rows[0]) if isinstance(v, str)]
    for row in rows:  # npy carries numbers only: a number in a text column reads as its text
        for position in categorical:
            row[position] = 2
    buffer = io.BytesIO()
    np.save(buffer, np.array(rows))
    response = client.post(
        "/invocations", content=buffer.getvalue(), headers={"Content-Type": "application/x-npy"}
    )
    assert response.status_code == 200, response.text
    for row in rows:
        for position in categorical:
            row[position] = "2"  # not a listed category: all zeros
    np.testing.assert_allclose(
        _outputs(built, response), built.expected(rows), rtol=1e-9, atol=1e-12
    )


def test_error_codes(deployment: tuple[BuiltBundle, httpx.Client]) -> None:
    built, client = deployment
    width = len(built.feature_names)
    good = _csv(built.raw_rows[:1])
    csv = {"Content-Type": "text/csv"}
    cases = [
        (client.post("/invocations", content=good, headers={"Content-Type": "image/png"}), 415),
        (client.post("/invocations", content=good, headers={**csv, "Accept": "image/png"}), 406),
        (client.post("/invocations", content=b"1,2,3", headers=csv), 400),
        (client.post("/invocations", content=b"", headers=csv), 400),
        (
            client.post("/invocations", content=b"{", headers={"Content-Type": "application/json"}),
            400,
        ),
        (client.post("/invocations", content=b"x" * (7 * 1024 * 1024), headers=csv), 413),
        (client.get("/nothing"), 404),
        (client.put("/invocations", content=good), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == status
    message = cases[2][0].json()["error"]["message"]
    assert f"expected {width} columns" in message and "got 3" in message
    bad = [list(built.raw_rows[0])]
    bad[0][1] = "oops"
    error = client.post("/invocations", content=_csv(bad), headers=csv).json()["error"]
    assert (error["row"], error["column"]) == (1, built.feature_names[1])


def test_multiclass_labels_and_unknown_category(
    deployments: dict[str, tuple[BuiltBundle, ServerProcess]],
) -> None:
    built, server = deployments["multiclass-xgboost"]
    rows = [list(r) for r in built.raw_rows[:4]]
    rows[2][-1] = "atlantis"  # an unlisted category encodes as all zeros, as in training
    rows[3][-1] = None  # a missing category is imputed with the training mode
    response = httpx.post(
        f"{server.url}/invocations", content=_csv(rows), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [set(p["probabilities"]) for p in predictions] == [set(built.schema.classes)] * 4
    np.testing.assert_allclose(_outputs(built, response), built.expected(rows), rtol=1e-9)
    assert [p["label"] for p in predictions][:2] == ["class_0", "class_0"]


def test_regression_csv_is_one_value_per_line(
    deployments: dict[str, tuple[BuiltBundle, ServerProcess]],
) -> None:
    built, server = deployments["regression-xgboost"]
    rows = (built.raw_rows * 3)[:1000]
    response = httpx.post(
        f"{server.url}/invocations",
        content=_csv(rows),
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
    )
    lines = response.text.splitlines()
    assert len(lines) == 1000 and response.headers["x-output-columns"] == "value"
    np.testing.assert_allclose([float(v) for v in lines], built.expected(rows), rtol=1e-9)
