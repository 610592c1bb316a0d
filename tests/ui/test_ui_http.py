"""The UI over HTTP: each JSON twin holds what the CLI prints, unknown ids are 4xx JSON naming
them, a POST without the CSRF token is refused (403) and changes nothing, and off loopback every
request needs the token."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from conftest import UiRun
from e2e_support import run_json

from orchestrator.backends.select import open_backend
from orchestrator.settings.environment import load_environment
from orchestrator.ui.app import create_app
from orchestrator.ui.guard import Guard, is_loopback

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]


def get(url: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"{url}{path}", timeout=30, **kwargs)


def test_each_page_has_a_json_twin_with_the_clis_data(ui_run: UiRun, ui_url: str) -> None:
    executions = get(ui_url, "/api/executions").json()["executions"]
    listed = run_json(ui_run.environments, "executions", "list", cwd=ui_run.folder)
    assert [e["id"] for e in executions] == [e["id"] for e in listed]
    assert executions[-1]["id"] == ui_run.first["execution"]["id"]
    assert executions[0]["parameters"]["ModelApprovalStatus"] == "PendingManualApproval"

    one = get(ui_url, f"/api/executions/{executions[-1]['id']}").json()
    assert [s["name"] for s in one["steps"]] == [
        s["name"] for s in ui_run.first["execution"]["steps"]
    ]
    nodes = {n["name"]: n["status"] for n in one["graph"]["nodes"]}
    assert nodes["Register"] == "Succeeded" and nodes["QualityGateFailed"] == "NotRun"
    assert {"from": "QualityGate", "to": "Register"} in [
        {"from": e["from"], "to": e["to"]} for e in one["graph"]["edges"]
    ]
    assert any(log["name"] == "Tune.log" for s in one["steps"] for log in s["logs"])

    models = get(ui_url, "/api/models").json()
    cli = run_json(ui_run.environments, "models", "list", cwd=ui_run.folder)
    assert [(v["version"], v["status"]) for v in models["versions"]] == [
        (p["version"], p["approval_status"]) for p in cli
    ]
    version = get(ui_url, "/api/models/1").json()
    assert version["lineage"]["execution"] == ui_run.first["execution"]["id"]
    assert {p["name"] for p in version["plots"]} >= {
        "roc_curve.png",
        "confusion_matrix.png",
        "feature_importance.png",
    }
    plot = get(ui_url, "/models/1/plots/roc_curve.png")
    assert plot.status_code == 200 and plot.content.startswith(b"\x89PNG")
    importance = version["feature_importance"]  # the Evaluate step's, top ten first
    assert importance["metric"] == version["gate"]["metric"]
    assert 0 < len(importance["features"]) <= 10 <= importance["count"]
    means = [f["mean"] for f in importance["features"]]
    assert means == sorted(means, reverse=True) and means[0] > 0
    page = get(ui_url, "/models/1").text
    assert "Feature importance" in page and importance["features"][0]["feature"] in page

    endpoints = get(ui_url, "/api/endpoints").json()
    assert [e["version"] for e in endpoints["history"]] == [1, 1]
    assert endpoints["metrics"]["requests_total"] >= 1  # the runs' own test requests
    monitoring = endpoints["monitoring"]  # the report `monitor run` wrote, as it printed it
    [report] = monitoring["reports"]
    assert monitoring["available"] and monitoring["schedule"] is None  # local: no schedule
    assert report["status"] == ui_run.drift["status"] and report["rows"] == ui_run.drift["rows"]
    assert report["version"] == ui_run.drift["model"]["version"]
    assert report["start"] == ui_run.drift["window"]["start"]
    page = get(ui_url, report["url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "mean radius" in page.text  # the report's own page, per feature
    compare = get(ui_url, "/api/models/compare?a=1&b=2").json()
    assert {m["metric"] for m in compare["metrics"]} >= {"auc", "accuracy"}


@pytest.mark.parametrize(
    ("path", "status", "names"),
    [
        ("/api/executions/nosuchexecution", 404, "nosuchexecution"),
        ("/api/executions/..%2F..%2Fetc%2Fpasswd", 404, "passwd"),
        ("/api/models/99", 404, "99"),
        ("/api/models/abc", 400, "abc"),
        ("/api/models/1/plots", 404, "/api/models/1/plots"),
        ("/models/1/plots/evaluation.json", 404, "evaluation.json"),
        ("/models/1/plots/..%2f..%2fregistry.sqlite", 404, "registry.sqlite"),
        ("/api/models/compare?a=1", 400, "b must be a version number"),
        ("/api/models?dataset=../x", 400, "../x"),
        ("/api/nothing", 404, "/api/nothing"),
        ("/endpoints/drift/20240101T000000Z", 404, "20240101T000000Z"),
        ("/endpoints/drift/..%2F..%2Fregistry.sqlite", 404, "registry.sqlite"),
    ],
)
def test_bad_requests_are_4xx_json_naming_the_problem(
    ui_url: str, path: str, status: int, names: str
) -> None:
    answer = get(ui_url, path, headers={"Accept": "application/json"})
    assert answer.status_code == status
    body = answer.json()
    assert body["status"] == status and names in body["error"]
    assert "Traceback" not in answer.text


def test_a_page_for_an_unknown_id_is_an_html_404(ui_url: str) -> None:
    answer = get(ui_url, "/executions/nosuchexecution")
    assert answer.status_code == 404 and "text/html" in answer.headers["content-type"]
    assert "nosuchexecution" in answer.text and "Traceback" not in answer.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    ui_run: UiRun, ui_url: str
) -> None:
    before = get(ui_url, "/api/models/2").json()["status"]
    for path in ("/models/2/reject", "/api/models/2/reject"):
        answer = httpx.post(f"{ui_url}{path}", data={"reason": "no token"}, timeout=30)
        assert answer.status_code == 403 and "CSRF" in answer.text
    page = httpx.get(f"{ui_url}/models/2", timeout=30).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    forged = httpx.post(
        f"{ui_url}/api/models/2/reject",
        data={"reason": "from elsewhere", "csrf_token": token},
        headers={"Origin": "http://evil.example"},
        timeout=30,
    )
    assert forged.status_code == 403 and "Origin" in forged.text
    assert httpx.get(f"{ui_url}/models/2/approve", timeout=30).status_code == 405
    assert get(ui_url, "/api/models/2").json()["status"] == before


def test_a_wrong_host_header_is_refused_on_loopback(ui_url: str) -> None:
    answer = get(ui_url, "/api/executions", headers={"Host": "evil.example"})
    assert answer.status_code == 400 and "loopback" in answer.json()["error"]


def test_off_loopback_every_request_needs_the_token(ui_run: UiRun) -> None:
    """The app as `--host 0.0.0.0` builds it, driven in process (the tests bind loopback only)."""
    assert not is_loopback("0.0.0.0") and is_loopback("127.0.0.1") and is_loopback("::1")
    with warnings.catch_warnings():  # starlette 1.x would rather have httpx2; httpx serves
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    config = load_environment("local", ui_run.environments)
    with open_backend(config) as backend:
        app = create_app(backend, config, Guard(token="s3cret", loopback=False))
        client = TestClient(app, base_url="http://10.0.0.5:8765")
        assert client.get("/api/executions").status_code == 401
        assert (
            client.get("/api/executions", headers={"Authorization": "Bearer nope"}).status_code
            == 403
        )
        ok = client.get("/api/executions", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["executions"]
        first = client.get("/executions?token=s3cret")
        assert first.status_code == 200 and "ui_token=s3cret" in first.headers["set-cookie"]
        assert "HttpOnly" in first.headers["set-cookie"]
        assert client.get("/models").status_code == 200  # the cookie now
