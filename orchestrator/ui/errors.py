"""Every refused request is a 4xx naming the problem, as JSON for ``/api`` and for clients that
ask for JSON, as a page otherwise; never a traceback. A bug is a 500 naming the exception type
(its traceback goes to the server's stderr only)."""

from __future__ import annotations

import sys
import traceback
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from orchestrator.backends.model_registry import RegistryError
from orchestrator.errors import OperationFailed, UserError
from orchestrator.ui.guard import CsrfRefused


class NotFound(LookupError):
    """No execution, version, plot or page has the id asked for (404)."""


class BadRequest(ValueError):
    """A request the UI cannot honour as sent (400)."""


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def status_of(exc: BaseException) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, CsrfRefused):
        return 403
    if isinstance(exc, BadRequest | UserError | RegistryError):
        return 400
    if isinstance(exc, OperationFailed):
        return 502
    return 500


def message_of(exc: BaseException, status: int) -> str:
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if status == 500:
        return f"internal error ({type(exc).__name__}): {exc}; the server's log has the details"
    return str(exc)


def error_response(request: Request, exc: BaseException) -> Response:
    status = status_of(exc)
    message = message_of(exc, status)
    if status == 500:
        traceback.print_exception(exc, file=sys.stderr)
    if wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    templates: Any = request.app.state.templates
    environment = getattr(getattr(request.app.state, "config", None), "name", "")
    context = {
        "title": f"Error {status}",
        "status": status,
        "message": message,
        "environment": environment,
        "json_url": None,
        "dataset_query": "",
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)  # type: ignore[no-any-return]
