"""Who may talk to the UI: a loopback Host by default, a token off loopback, CSRF on POST.

- Bound to loopback, a request must name a loopback Host (127.0.0.1, localhost, [::1]), so a
  page on another site cannot reach the UI through DNS rebinding.
- Bound to any other address, every request needs the token: ``Authorization: Bearer <t>``, the
  ``ui_token`` cookie, or ``?token=<t>`` once (which sets the cookie, HttpOnly, SameSite=Strict).
- State-changing requests are POST only and carry the per-process CSRF token (the forms' hidden
  ``csrf_token`` field or an ``X-CSRF-Token`` header); an ``Origin`` header, when sent, must be the
  UI's own. Anything else is refused with 403 naming what was missing.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "ui_token"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to bind) is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CsrfRefused(Exception):
    """A POST without the CSRF token, or from another origin (403)."""


@dataclass(frozen=True)
class Guard:
    """The rules of one server: its token (None on loopback) and its CSRF token."""

    token: str | None
    loopback: bool
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def check_csrf(self, headers: Headers, form: dict[str, str]) -> None:
        """Raise :class:`CsrfRefused` unless the request carries this server's CSRF token and
        comes from no other origin."""
        origin = headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
            raise CsrfRefused(f"cross-origin POST refused: Origin {origin} is not this UI")
        sent = form.get(CSRF_FIELD) or headers.get(CSRF_HEADER) or ""
        if not secrets.compare_digest(sent.encode(), self.csrf.encode()):
            raise CsrfRefused(
                "POST refused: the CSRF token is missing or wrong; submit the form from the page "
                f"(hidden field {CSRF_FIELD}) or send the X-CSRF-Token header"
            )


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def _host_name(host_header: str) -> str:
    """The name in a Host header, without the port (``[::1]:8080`` -> ``::1``)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class GuardMiddleware:
    """Applies :class:`Guard`'s Host and token rules to every HTTP request."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal, from_query = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if from_query:
            await self.app(scope, receive, _setting_cookie(send, str(self.guard.token)))
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[JSONResponse | None, bool]:
        """(the refusal, or None; whether the token came in the query string)."""
        if self.guard.loopback and _host_name(headers.get("host", "")) not in LOOPBACK_NAMES:
            return _refuse(400, "this UI answers on loopback only: use http://127.0.0.1"), False
        if self.guard.token is None:
            return None, False
        sent, from_query = _sent_token(scope, headers)
        if sent is None:
            return _refuse(
                401,
                "this UI needs its token: open the URL with ?token=<token> "
                "printed at start, or send Authorization: Bearer <token>",
            ), False
        if not secrets.compare_digest(sent.encode(), self.guard.token.encode()):
            return _refuse(403, "wrong token for this UI"), False
        return None, from_query


def _sent_token(scope: Scope, headers: Headers) -> tuple[str | None, bool]:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip(), False
    cookie = SimpleCookie(headers.get("cookie", ""))
    if TOKEN_COOKIE in cookie:
        return cookie[TOKEN_COOKIE].value, False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], True
    return None, False


def _setting_cookie(send: Send, token: str) -> Any:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            cookie = f"{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
            message = {
                **message,
                "headers": [*message["headers"], (b"set-cookie", cookie.encode())],
            }
        await send(message)

    return wrapped
