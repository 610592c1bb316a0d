"""Property-based fuzzing of ``POST /invocations`` over real HTTP (issue 7): a real ``serve``
(gunicorn, 2 workers, 127.0.0.1) per model, hypothesis generating well-formed and hostile
requests (see :mod:`fuzz_requests`). Every answer is either a 4xx with a JSON error body or a
200 with the right predictions; never a 5xx; and the server stays up with the same workers (a
worker that crashed and was replaced would hide a failure behind a healthy ``/ping``).

Bounded: 100 valid and 300 hostile examples per model on one keep-alive connection, about
5 s per model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import orjson
import pytest
from fuzz_requests import FuzzRequest, hostile, valid_rows
from hypothesis import HealthCheck, given, settings
from procfs import children, wait_for_children
from serve_helpers import BuiltBundle, ServerProcess, build_bundle, start_servers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability-fuzz")]

MAX_PAYLOAD_MB = 1
VALID_EXAMPLES = 100
HOSTILE_EXAMPLES = 300
SENT: dict[str, int] = {}  # requests sent per model, for the figures in docs/reliability.md


class Deployment:
    def __init__(self, built: BuiltBundle, server: ServerProcess) -> None:
        self.built = built
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=30.0, trust_env=False)
        self.workers = wait_for_children(server.process.pid, 2)


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Deployment]]:
    """A numeric-only model (every format incl. .npy) and one with a categorical column (the
    general decoding path), each behind its own 2-worker server."""
    root = tmp_path_factory.mktemp("fuzz")
    bundles = {
        "binary": build_bundle(root / "binary", "binary", "onnx"),
        "multiclass": build_bundle(root / "multiclass", "multiclass", "skops"),
    }
    servers = start_servers(
        [
            {
                "model_dir": built.directory,
                "log_dir": root / f"logs-{name}",
                "workers": 2,
                "extra_args": ["--max-payload-mb", str(MAX_PAYLOAD_MB)],
            }
            for name, built in bundles.items()
        ]
    )
    found = {
        name: Deployment(built, server)
        for (name, built), server in zip(bundles.items(), servers, strict=True)
    }
    yield found
    for deployment in found.values():
        deployment.client.close()
        assert deployment.server.stop() == 0


def assert_json_error(response: httpx.Response, request: FuzzRequest) -> None:
    assert response.headers["content-type"] == "application/json", request
    error = response.json()["error"]
    assert error["code"] == response.status_code, request
    assert isinstance(error["message"], str) and len(error["message"]) > 10, request


def predictions_of(response: httpx.Response, classes: list[str] | None) -> np.ndarray:
    """The probabilities (rows, classes) or values (rows,) in any of the three answer formats."""
    media = response.headers["content-type"].split(";")[0]
    if media == "text/csv":
        rows = [line.split(",") for line in response.text.splitlines()]
        if classes:  # label, then one probability per class
            return np.array([row[1:] for row in rows], dtype=np.float64)
        return np.array([row[0] for row in rows], dtype=np.float64)
    if media == "application/jsonlines":
        objects = [orjson.loads(line) for line in response.content.splitlines()]
    else:
        assert media == "application/json", media
        objects = response.json()["predictions"]
    if classes:
        return np.array([[o["probabilities"][c] for c in classes] for o in objects])
    return np.array([o["value"] for o in objects])


def assert_sane_predictions(response: httpx.Response, built: BuiltBundle) -> np.ndarray:
    classes = built.bundle.manifest.classes or None
    values = predictions_of(response, classes)
    assert values.size and np.isfinite(values).all()
    if classes:
        assert all(math.isclose(total, 1.0, rel_tol=1e-4) for total in values.sum(axis=1))
    return values


def send(deployment: Deployment, request: FuzzRequest, name: str) -> httpx.Response:
    SENT[name] = SENT.get(name, 0) + 1
    return deployment.client.post(
        "/invocations", content=request.content(), headers=request.headers()
    )


def check_answer(response: httpx.Response, request: FuzzRequest, built: BuiltBundle) -> None:
    """A 4xx with a JSON error body, or a 200 with sane (and, for valid rows, exact)
    predictions."""
    assert response.status_code < 500, f"{response.status_code} {response.text} {request}"
    if request.expected is not None:
        assert response.status_code == 200, f"{response.text} {request}"
    if response.status_code != 200:
        assert 400 <= response.status_code < 500, request
        assert_json_error(response, request)
        return
    values = assert_sane_predictions(response, built)
    if request.expected is not None:
        expected = request.expected
        if built.bundle.manifest.classes:
            assert values.shape == expected.shape, request
        np.testing.assert_allclose(values, expected.reshape(values.shape), rtol=1e-5)


@pytest.mark.parametrize("name", ["binary", "multiclass"])
def test_every_request_is_a_json_4xx_or_a_correct_200(
    deployments: dict[str, Deployment], name: str
) -> None:
    deployment = deployments[name]
    built = deployment.built
    statuses: dict[int, int] = {}
    fuzz = settings(
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    def answer(request: FuzzRequest) -> None:
        response = send(deployment, request, name)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        check_answer(response, request, built)

    # Two loops, so hypothesis's preference for the simplest branch of a one_of cannot starve
    # the hostile requests: valid rows check exact predictions, hostile ones the property.
    @settings(fuzz, max_examples=VALID_EXAMPLES)
    @given(request=valid_rows(built))
    def valid(request: FuzzRequest) -> None:
        answer(request)

    @settings(fuzz, max_examples=HOSTILE_EXAMPLES)
    @given(request=hostile(built, MAX_PAYLOAD_MB * 1024 * 1024))
    def hostile_requests(request: FuzzRequest) -> None:
        answer(request)

    valid()
    hostile_requests()

    assert deployment.client.get("/ping").status_code == 200
    assert deployment.server.process.poll() is None
    assert children(deployment.server.process.pid) == deployment.workers, "a worker was replaced"
    assert statuses.get(200, 0) > 0 and sum(v for k, v in statuses.items() if k >= 400) > 0
    print(f"fuzz {name}: {SENT[name]} requests, statuses {dict(sorted(statuses.items()))}")


def test_fuzz_examples_reach_every_hostile_kind(tmp_path: Path) -> None:
    """The strategy really produces each kind it promises (so the fuzz test cannot silently
    stop covering one), checked without a server."""
    built = build_bundle(tmp_path / "model", "binary", "xgboost")
    kinds: set[str] = set()

    @settings(max_examples=400, deadline=None, database=None)
    @given(request=hostile(built, 1024))
    def collect(request: FuzzRequest) -> None:
        kinds.add(request.kind)

    collect()
    assert kinds == {
        "bytes", "width", "csv-special", "json-special", "huge", "empty", "deep", "utf8",
        "oversized", "json-shape", "npy", "npy-lying",
    }  # fmt: skip
