"""Serving the UI: bind first (so ``--port 0`` can name the port it got), print the address,
then run uvicorn on that socket until interrupted."""

from __future__ import annotations

import socket
from collections.abc import Callable

from starlette.applications import Starlette

from orchestrator.errors import UserError


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a port in use or a host not of this machine is a
    user error naming it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UserError(
            f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port "
            "(0: any free one) or --host"
        ) from None
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(app: Starlette, sock: socket.socket, announce: Callable[[str], None]) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    announce(url_of(sock))
    server.run(sockets=[sock])
