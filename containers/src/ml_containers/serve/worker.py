"""The gunicorn worker: uvicorn on uvloop + httptools, with TCP_NODELAY on every connection and
one write per response.

With pre-forked workers the listening socket is inherited from the gunicorn arbiter, and
asyncio only sets TCP_NODELAY on accepted sockets whose ``proto`` is IPPROTO_TCP, which an
inherited socket's is not (it reads 0). Without TCP_NODELAY, Nagle's algorithm holds the body
segment until the client ACKs the header segment, and the client's delayed ACK adds ~40 ms to
every keep-alive response. So the protocol sets it itself on each new connection.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterable
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

from .accept import BalancedAcceptor


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


class CoalescingTransport:
    """A transport proxy that merges the writes made within one event-loop iteration into one.

    uvicorn writes a response's status line and headers as soon as the app sends
    ``http.response.start`` and the body in a second ``write``: two system calls and, with
    TCP_NODELAY, two TCP segments for every small response. Measured with py-spy on a loaded
    worker, the header write alone took a quarter of the worker's time. This proxy queues
    writes and flushes them together on the next loop iteration (microseconds later), so a
    response leaves in one system call and, when small, one segment. Everything else is the
    real transport's; ``close`` flushes first, ``abort`` drops the queue.
    """

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TCP_NODELAY and one write per response."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(coalescing)  # type: ignore[arg-type]


class BalancedServer(Server):
    """uvicorn's server, accepting on gunicorn's sockets through :class:`BalancedAcceptor`
    instead of the event loop's accept-everything listener."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets is None:  # not run under gunicorn: uvicorn binds and listens itself
            await super().startup(sockets)
            return
        await super().startup(sockets=[])  # lifespan and state, no listener
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        acceptor = BalancedAcceptor(
            sockets, create_protocol, self.server_state.connections, ssl=config.ssl
        )
        self.servers = [acceptor]  # type: ignore[list-item]  # closed by uvicorn's shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        # Append buffered data capture now: uvicorn re-raises SIGTERM once serve() returns, and
        # the worker's default handler ends the process without running atexit.
        capture = getattr(self.config.app, "capture", None)
        if capture is not None:
            capture.flush()
        business = getattr(self.config.app, "business", None)  # the business metrics, likewise
        if business is not None:
            business.flush()


class ServingWorker(UvicornWorker):
    """Uvicorn worker with the TCP_NODELAY protocol, connections spread across workers
    (:mod:`.accept`), no access log (the app writes one EMF line per request instead) and no
    lifespan (the model is loaded before the worker serves)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "uvloop",
        "http": NoDelayHttpToolsProtocol,
        "lifespan": "off",
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,  # SageMaker's front end talks to the container directly
    }

    async def _serve(self) -> None:
        # UvicornWorker._serve, with the balanced server.
        self.config.app = self.wsgi
        server = BalancedServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
