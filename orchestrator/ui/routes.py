"""The routes: each page at ``/<path>`` and its JSON twin at ``/api/<path>``, built by the same
function, and the two POSTs that change the registry (approve, reject: CSRF-checked)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from orchestrator.backends.model_registry import ApprovalStatus
from orchestrator.ui import drift, endpoints, executions, models
from orchestrator.ui.errors import BadRequest, error_response

Build = Callable[[Request], dict[str, Any]]
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAX_FORM_BYTES = 16 * 1024


def dataset(request: Request) -> str | None:
    """``?dataset=NAME`` (the CLI's ``--dataset``), else the server's ``--dataset``."""
    name = request.query_params.get("dataset") or request.app.state.dataset
    if name is not None and not _DATASET.fullmatch(name):
        raise BadRequest(f"dataset {name!r} is not a dataset name (letters, digits, _ . -)")
    return name


def _version(request: Request, key: str = "version") -> int:
    text = request.path_params.get(key, request.query_params.get(key))
    if text is None or not str(text).isdigit() or int(text) < 1:
        raise BadRequest(f"{key} must be a version number (1, 2, ...), not {text!r}")
    return int(text)


def _ctx(request: Request) -> tuple[Any, Any]:
    return request.app.state.backend, request.app.state.config


def _render(request: Request, template: str, data: dict[str, Any]) -> Response:
    state = request.app.state
    query = f"?{request.url.query}" if request.url.query else ""
    context = {
        "page": data,
        "csrf": state.guard.csrf,
        "json_url": f"/api{request.url.path}{query}",
        "environment": state.config.name,
        "dataset_query": _dataset_query(request),
    }
    return state.templates.TemplateResponse(request, template, context)  # type: ignore[no-any-return]


def _dataset_query(request: Request) -> str:
    name = request.query_params.get("dataset")
    return f"?{urlencode({'dataset': name})}" if name and _DATASET.fullmatch(name) else ""


def page(path: str, template: str, build: Build) -> list[Route]:
    """The page and its JSON twin."""

    async def html(request: Request) -> Response:
        try:
            data = await run_in_threadpool(build, request)
        except Exception as exc:
            return error_response(request, exc)
        return _render(request, template, data)

    async def twin(request: Request) -> Response:
        try:
            return JSONResponse(await run_in_threadpool(build, request))
        except Exception as exc:
            return error_response(request, exc)

    return [Route(path, html, methods=["GET"]), Route(f"/api{path}", twin, methods=["GET"])]


async def plot(request: Request) -> Response:
    backend, config = _ctx(request)
    try:
        body = await run_in_threadpool(
            models.plot,
            backend,
            config,
            dataset(request),
            _version(request),
            request.path_params["name"],
        )
    except Exception as exc:
        return error_response(request, exc)
    return Response(body, media_type="image/png", headers={"cache-control": "no-store"})


async def drift_page(request: Request) -> Response:
    """One ``monitor run`` report's own HTML page (drift.py serves only its stamped folders)."""
    _, config = _ctx(request)
    try:
        body = await run_in_threadpool(drift.report_page, config, request.path_params["stamp"])
    except Exception as exc:
        return error_response(request, exc)
    return HTMLResponse(body, headers={"cache-control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadRequest(f"the form is larger than {MAX_FORM_BYTES} bytes")
    if body and kind != "application/x-www-form-urlencoded":
        raise BadRequest("send the form as application/x-www-form-urlencoded")
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def change(status: ApprovalStatus) -> Callable[[Request], Any]:
    """POST approve/reject: CSRF-checked, then the CLI's own flow."""

    async def handler(request: Request) -> Response:
        backend, config = _ctx(request)
        try:
            form = await _form(request)
            request.app.state.guard.check_csrf(request.headers, form)
            version = _version(request)
            changed = await run_in_threadpool(
                models.change_status,
                backend,
                config,
                dataset(request),
                version,
                status,
                form.get("reason", "").strip(),
            )
        except Exception as exc:
            return error_response(request, exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse(changed)
        return RedirectResponse(f"/models/{version}{_dataset_query(request)}", status_code=303)

    return handler


def _compare(request: Request) -> dict[str, Any]:
    backend, config = _ctx(request)
    a, b = _version(request, "a"), _version(request, "b")
    return models.compare_page(backend, config, dataset(request), a, b)


def routes() -> list[Route]:
    found: list[Route] = [Route("/", lambda _r: RedirectResponse("/executions", 307))]
    found += page("/executions", "executions.html", lambda r: executions.executions_page(*_ctx(r)))
    found += page(
        "/executions/{execution_id:path}",
        "execution.html",
        lambda r: executions.execution_page(*_ctx(r), r.path_params["execution_id"]),
    )
    found += page("/models", "models.html", lambda r: models.models_page(*_ctx(r), dataset(r)))
    found += page("/models/compare", "compare.html", _compare)
    found += page(
        "/models/{version}",
        "model.html",
        lambda r: models.version_page(*_ctx(r), dataset(r), _version(r)),
    )
    found += page("/endpoints", "endpoints.html", lambda r: endpoints.endpoints_page(*_ctx(r)))
    found.append(Route("/models/{version}/plots/{name}", plot, methods=["GET"]))
    found.append(Route("/endpoints/drift/{stamp}", drift_page, methods=["GET"]))
    for prefix in ("", "/api"):
        found.append(
            Route(f"{prefix}/models/{{version}}/approve", change("Approved"), methods=["POST"])
        )
        found.append(
            Route(f"{prefix}/models/{{version}}/reject", change("Rejected"), methods=["POST"])
        )
    return found
