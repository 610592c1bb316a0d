"""A minimal keep-alive HTTP client for talking to a local model server from several threads.

Why not httpx here: batch transform sends payloads of up to MaxPayloadInMB each, and httpx's
request objects sit in reference cycles, so every payload and answer lives until the garbage
collector next runs; with multi-megabyte chunks that is many chunks held at once. The standard
library's ``http.client`` frees each body as soon as it is written, keeping memory flat. Each
thread gets its own connection; a connection the server closed while idle is replaced once.
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit


class LoopbackHttpError(OSError):
    """The server could not be reached or broke the connection mid-answer."""


class LoopbackHttp:
    """Per-thread keep-alive connections to one ``http://host:port`` server."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http://host:port URL of a local server")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """``(status, body)`` of one request; LoopbackHttpError if the server can't be reached."""
        for attempt in (1, 2):
            connection, reused = self._connection()
            try:
                connection.request(method, self.prefix + path, body=body, headers=headers or {})
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    self._drop(connection)
                return response.status, data
            except (OSError, http.client.HTTPException) as exc:
                self._drop(connection)
                # A kept-alive connection may have been closed by the server while idle.
                if attempt == 2 or not reused:
                    where = f"http://{self.host}:{self.port}{self.prefix}{path}"
                    raise LoopbackHttpError(f"{method} {where} failed: {exc!r}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection, False

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)
