"""BalancedAcceptor: a worker holding connections lets an idle one take the next connection,
and takes it itself when no other worker does (nothing is refused)."""

from __future__ import annotations

import asyncio
import socket

from ml_containers.serve.accept import BalancedAcceptor


class Recorder(asyncio.Protocol):
    def __init__(self, accepted: list[str], name: str) -> None:
        self.accepted, self.name = accepted, name

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.accepted.append(self.name)
        transport.close()


def _listener() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


async def _connect(address: tuple[str, int]) -> None:
    _, writer = await asyncio.open_connection(*address)
    writer.close()


def test_a_busy_worker_steps_back_and_an_idle_one_accepts() -> None:
    async def scenario() -> list[str]:
        listener = _listener()
        accepted: list[str] = []
        busy = BalancedAcceptor([listener], lambda: Recorder(accepted, "busy"), [object()] * 3)
        idle = BalancedAcceptor([listener], lambda: Recorder(accepted, "idle"), [])
        for _ in range(5):
            await _connect(listener.getsockname())
            await asyncio.sleep(0.01)
        busy.close()
        idle.close()
        listener.close()
        return accepted

    assert asyncio.run(scenario()) == ["idle"] * 5


def test_a_busy_worker_alone_still_accepts_after_its_pause() -> None:
    async def scenario() -> tuple[list[str], float]:
        listener = _listener()
        accepted: list[str] = []
        busy = BalancedAcceptor([listener], lambda: Recorder(accepted, "busy"), [object()] * 3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await _connect(listener.getsockname())
        while not accepted and loop.time() - started < 5:
            await asyncio.sleep(0.001)
        waited = loop.time() - started
        busy.close()
        listener.close()
        return accepted, waited

    accepted, waited = asyncio.run(scenario())
    assert accepted == ["busy"]
    assert 0.006 <= waited < 1.0  # 3 held connections: a 6 ms step back, then accepted


def test_closing_stops_accepting() -> None:
    async def scenario() -> list[str]:
        listener = _listener()
        accepted: list[str] = []
        acceptor = BalancedAcceptor([listener], lambda: Recorder(accepted, "w"), [])
        acceptor.close()
        await acceptor.wait_closed()
        client = socket.create_connection(listener.getsockname())  # queued in the backlog
        await asyncio.sleep(0.05)
        client.close()
        listener.close()
        return accepted

    assert asyncio.run(scenario()) == []
