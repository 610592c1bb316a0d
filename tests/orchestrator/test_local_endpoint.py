"""The local endpoint with the real ``serve`` program: deploy a registered version, invoke it,
refuse what must not serve, and swap models under load without dropping a request."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from ml_containers.bundle import load_bundle
from test_local_endpoint_bundles import (
    breast_cancer,
    build_bundle,
    feature_rows_csv,
    register_bundle,
    register_unloadable,
)

from orchestrator.backends.local.endpoint import LocalEndpoint, serve_in_foreground
from orchestrator.backends.local.registry import LocalModelRegistry
from orchestrator.backends.local.serving_errors import EndpointError, InvocationError
from orchestrator.backends.model_registry import ModelPackage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("local-endpoint"),  # one worker: these start model servers
]


@dataclass
class Models:
    root: Path
    registry: LocalModelRegistry
    store: Path
    v1: ModelPackage
    v2: ModelPackage
    unloadable: ModelPackage
    narrower: ModelPackage
    pending: ModelPackage


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    root = tmp_path_factory.mktemp("endpoint")
    registry = LocalModelRegistry(root / "registry.sqlite")
    store = root / "store"
    v1 = register_bundle(registry, store, build_bundle(root / "b1", rounds=10), "v1")
    v2 = register_bundle(registry, store, build_bundle(root / "b2", rounds=40), "v2")
    unloadable = register_unloadable(registry, store, root)
    narrower = register_bundle(
        registry, store, build_bundle(root / "narrow", feature_count=10), "narrow"
    )
    pending = register_bundle(
        registry, store, root / "b1", "pending", approval_status="PendingManualApproval"
    )
    return Models(root, registry, store, v1, v2, unloadable, narrower, pending)


@pytest.fixture(scope="module")
def endpoint(models: Models) -> Iterator[LocalEndpoint]:
    with LocalEndpoint(models.store, models.root / "work") as serving:
        serving.deploy(models.v1)
        yield serving


def _expected_probabilities(bundle_dir: Path, rows: np.ndarray) -> np.ndarray:
    bundle = load_bundle(bundle_dir)
    return bundle.predict(bundle.transform.apply_numeric_matrix(rows))


def test_invocations_predict_what_the_bundle_predicts(
    endpoint: LocalEndpoint, models: Models
) -> None:
    _, features, _ = breast_cancer()
    rows = features[:25]
    answer = endpoint.invoke(feature_rows_csv(rows), "text/csv", "application/json")
    assert answer.model_version == "1"
    predictions = answer.json()["predictions"]
    expected = _expected_probabilities(models.root / "b1", rows)
    got = np.array(
        [[p["probabilities"]["malignant"], p["probabilities"]["benign"]] for p in predictions]
    )
    assert np.allclose(got, expected, atol=1e-6)
    as_csv = endpoint.invoke(feature_rows_csv(rows), accept="text/csv")
    assert len(as_csv.body.decode().splitlines()) == 25
    assert endpoint.active == models.v1
    assert endpoint.url == f"http://127.0.0.1:{endpoint.port}"


def test_a_bad_request_is_an_invocation_error_with_the_servers_message(
    endpoint: LocalEndpoint,
) -> None:
    with pytest.raises(InvocationError) as caught:
        endpoint.invoke(b"1,2,3\n")
    assert caught.value.status_code == 400
    assert "30" in caught.value.message  # the server names the expected width
    with pytest.raises(InvocationError) as caught:
        endpoint.invoke(b"x", content_type="application/pdf")
    assert caught.value.status_code == 415


def test_only_approved_versions_are_deployed(endpoint: LocalEndpoint, models: Models) -> None:
    with pytest.raises(EndpointError, match=r"PendingManualApproval.*approve it first"):
        endpoint.deploy(models.pending)
    assert endpoint.active == models.v1
    models.registry.ensure_group("nothing-approved")
    with pytest.raises(EndpointError, match="no Approved version"):
        endpoint.deploy_latest_approved(models.registry, "nothing-approved")


def test_a_model_that_fails_to_load_is_never_switched_to(
    endpoint: LocalEndpoint, models: Models
) -> None:
    with pytest.raises(EndpointError, match="exited with code") as caught:
        endpoint.deploy(models.unloadable)
    assert "its last output" in str(caught.value)
    assert endpoint.active == models.v1
    assert endpoint.invoke(feature_rows_csv(breast_cancer()[1][:1])).model_version == "1"


def test_a_model_that_fails_its_test_invocation_is_never_switched_to(
    endpoint: LocalEndpoint, models: Models
) -> None:
    # The narrower model loads and predicts its own rows, but refuses the 30-column requests the
    # serving model takes: switching would break every client, so it is refused.
    with pytest.raises(EndpointError, match=r"test invocation with 400.*not switched to"):
        endpoint.deploy(models.narrower)
    assert endpoint.active == models.v1
    assert endpoint.invoke(feature_rows_csv(breast_cancer()[1][:1])).model_version == "1"


def test_swap_under_load_drops_no_request(models: Models) -> None:
    _, features, _ = breast_cancer()
    body = feature_rows_csv(features[:2])
    results: list[tuple[float, int, str]] = []  # (start time, status, model version)
    failures: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client_loop(url: str) -> None:
        with httpx.Client(timeout=10.0, trust_env=False) as client:  # keep-alive connection
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = client.post(
                        f"{url}/invocations", content=body, headers={"Content-Type": "text/csv"}
                    )
                except httpx.HTTPError as exc:
                    with lock:
                        failures.append(repr(exc))
                    continue
                with lock:
                    results.append(
                        (started, response.status_code, response.headers.get("x-model-version", ""))
                    )

    with LocalEndpoint(models.store, models.root / "swap-work") as serving:
        serving.deploy(models.v1)
        old_server = serving._active.server if serving._active else None
        threads = [threading.Thread(target=client_loop, args=(serving.url,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        serving.deploy(models.v2)
        switched_at = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        assert serving.active == models.v2
        assert old_server is not None and not old_server.is_running()  # drained, then stopped
        new_server = serving._active.server if serving._active else None
    assert new_server is not None and not new_server.is_running()  # the context stopped it

    assert failures == []
    assert results and all(status == 200 for _, status, _ in results)
    versions = [version for _, _, version in results]
    assert versions.count("1") > 0 and versions.count("2") > 0
    assert all(version == "2" for started, _, version in results if started > switched_at)
    assert len(results) >= 40  # the load was real


def test_stop_releases_the_port(models: Models) -> None:
    serving = LocalEndpoint(models.store, models.root / "stop-work")
    url = serving.url
    with pytest.raises(InvocationError) as caught:
        serving.invoke(b"1\n")  # nothing deployed yet: the proxy says so
    assert caught.value.status_code == 503
    stop = threading.Event()
    stop.set()
    serve_in_foreground(serving, stop)  # returns at once and stops the endpoint
    serving.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping", timeout=2.0, trust_env=False)


def test_foreground_serving_reports_a_dead_model_server(models: Models) -> None:
    serving = LocalEndpoint(models.store, models.root / "foreground-work")
    serving.deploy(models.v1)
    server = serving._active.server if serving._active else None
    assert server is not None
    os.killpg(server.process.pid, signal.SIGKILL)  # the server this test started dies
    with pytest.raises(EndpointError, match="stopped unexpectedly"):
        serve_in_foreground(serving, threading.Event())
    with pytest.raises(httpx.ConnectError):  # and the endpoint was stopped on the way out
        httpx.get(f"{serving.url}/ping", timeout=2.0, trust_env=False)
