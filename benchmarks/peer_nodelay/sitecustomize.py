"""TCP_NODELAY for the peer servers' uvicorn workers (put this folder on PYTHONPATH and set
``BENCH_PEER_NODELAY=1``).

uvicorn started with ``--workers N`` serves from a listening socket inherited by its worker
processes; asyncio sets TCP_NODELAY only on accepted sockets whose ``proto`` is IPPROTO_TCP,
which an inherited socket's is not. Nagle's algorithm plus the client's delayed ACK then add
~40 ms to every keep-alive response. ``serve`` fixes this in its own worker class; the benchmark
gives MLflow's server the same fix so the comparison measures the servers, not that bug.
"""

from __future__ import annotations

import contextlib
import os
import socket


def _set_nodelay(transport: object) -> None:
    sock = transport.get_extra_info("socket")  # type: ignore[attr-defined]
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _patch(module_name: str, class_name: str) -> None:
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError:  # that HTTP implementation is not installed
        return
    protocol = getattr(module, class_name)
    original = protocol.connection_made

    def connection_made(self: object, transport: object) -> None:
        _set_nodelay(transport)
        original(self, transport)

    protocol.connection_made = connection_made


if os.environ.get("BENCH_PEER_NODELAY") == "1":
    _patch("uvicorn.protocols.http.h11_impl", "H11Protocol")
    _patch("uvicorn.protocols.http.httptools_impl", "HttpToolsProtocol")
