"""The gunicorn worker: uvicorn on uvloop + httptools, with TCP_NODELAY on every connection.

With pre-forked workers the listening socket is inherited from the gunicorn arbiter, and
asyncio only sets TCP_NODELAY on accepted sockets whose ``proto`` is IPPROTO_TCP, which an
inherited socket's is not (it reads 0). Without TCP_NODELAY, Nagle's algorithm holds the body
segment until the client ACKs the header segment, and the client's delayed ACK adds ~40 ms to
every keep-alive response. So the protocol sets it itself on each new connection.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off for a TCP transport; False when it is not TCP."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


class ServingWorker(UvicornWorker):
    """Uvicorn worker with the TCP_NODELAY protocol, no access log (the app writes one EMF line
    per request instead) and no lifespan (the model is loaded before the worker serves)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "uvloop",
        "http": NoDelayHttpToolsProtocol,
        "lifespan": "off",
        "access_log": False,
        "server_header": False,
    }
