"""Spreading connections across the pre-forked workers.

gunicorn's workers all listen on one inherited socket. An event loop accepts every pending
connection each time the socket is readable, so when a client opens a few keep-alive
connections at once (SageMaker's batch transform opens MaxConcurrentTransforms of them), the
worker that wakes first often takes them all and keeps them: the other workers sit idle while
it does all the work. Measured with 2 workers on 2 busy cores, both of 2 simultaneous
connections landed on one worker in 35 of 40 trials.

:class:`BalancedAcceptor` accepts one connection per wake-up instead, and a worker that already
holds connections steps back before accepting another (2 ms per connection it holds, at most
20 ms), so an idle worker takes it. Nothing is refused: if no other worker has taken the
connection when the pause ends, this one does. The price is that delay on a new connection
when every worker already holds some; connections that stay open (SageMaker's) pay it once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sized
from typing import Any

log = logging.getLogger("serve")

STEP_BACK_S = 0.002  # per connection this worker already holds
MAX_STEP_BACK_S = 0.02
ERROR_BACK_OFF_S = 0.1  # after an accept failure such as EMFILE


class BalancedAcceptor:
    """Accepts on ``sockets`` for one worker; closes like an ``asyncio.Server`` (uvicorn closes
    it at shutdown)."""

    def __init__(
        self,
        sockets: list[socket.socket],
        protocol_factory: Callable[[], asyncio.Protocol],
        connections: Sized,
        ssl: Any = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._sockets = sockets
        self._factory = protocol_factory
        self._connections = connections  # the worker's open connections (uvicorn's set)
        self._ssl = ssl
        self._resume: dict[int, asyncio.TimerHandle] = {}
        self._starting = 0  # accepted, but not yet among the connections
        self._stepped_back: set[int] = set()  # sockets whose pending connection waited once
        self._closed = False
        for sock in sockets:
            sock.setblocking(False)
            self._listen(sock)

    def _listen(self, sock: socket.socket) -> None:
        self._resume.pop(sock.fileno(), None)
        if not self._closed:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _pause(self, sock: socket.socket, seconds: float) -> None:
        self._loop.remove_reader(sock.fileno())
        self._resume[sock.fileno()] = self._loop.call_later(seconds, self._listen, sock)

    def _accept(self, sock: socket.socket) -> None:
        held = len(self._connections) + self._starting
        if held and sock.fileno() not in self._stepped_back:
            # Busy: let an idle worker take this one; if none has when the pause ends, take it.
            self._stepped_back.add(sock.fileno())
            self._pause(sock, min(STEP_BACK_S * held, MAX_STEP_BACK_S))
            return
        self._stepped_back.discard(sock.fileno())
        try:
            connection, _ = sock.accept()
        except (BlockingIOError, InterruptedError):  # another worker took it
            return
        except OSError as exc:  # out of file descriptors, or similar: retry shortly
            log.warning(
                "accepting a connection failed (%s); retrying in %.1f s", exc, ERROR_BACK_OFF_S
            )
            self._pause(sock, ERROR_BACK_OFF_S)
            return
        connection.setblocking(False)
        self._starting += 1
        self._loop.create_task(self._serve(connection))

    async def _serve(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, connection, ssl=self._ssl)
        except OSError:  # the client went away before the transport was set up
            connection.close()
        finally:
            self._starting -= 1

    def close(self) -> None:
        self._closed = True
        for sock in self._sockets:
            self._loop.remove_reader(sock.fileno())
        for handle in self._resume.values():
            handle.cancel()
        self._resume.clear()

    async def wait_closed(self) -> None:
        return None
