"""The Starlette application: routes, templates, static files, the guard, and error pages for
what no route answers (an unknown path, a wrong method), so every refusal names the problem."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from orchestrator.backends.base import Backend
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.ui.errors import error_response
from orchestrator.ui.guard import Guard, GuardMiddleware
from orchestrator.ui.routes import routes

HERE = Path(__file__).parent


async def _http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        exc = HTTPException(
            404,
            f"no page at {request.url.path}; the pages are /executions, "
            "/models and /endpoints (JSON twins under /api)",
        )
    elif isinstance(exc, HTTPException) and exc.status_code == 405:
        exc = HTTPException(405, f"{request.method} is not allowed on {request.url.path}")
    return error_response(request, exc)


def create_app(
    backend: Backend, config: EnvironmentConfig, guard: Guard, dataset: str | None = None
) -> Starlette:
    """The UI over ``backend`` (opened by the caller, closed by the caller)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    app = Starlette(
        routes=[*routes(), Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[Middleware(GuardMiddleware, guard=guard)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.backend = backend
    app.state.config = config
    app.state.guard = guard
    app.state.dataset = dataset
    app.state.templates = templates
    return app
