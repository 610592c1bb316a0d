"""Data capture: each sampled request and its response as a SageMaker data-capture record.

On SageMaker the platform captures (the endpoint config's ``DataCaptureConfig``); this module
makes the local endpoint write the same files, so ``monitor`` reads local and AWS capture alike.
Turned on by environment variables (the local backend sets them from the environment file):

* ``DATA_CAPTURE_DIR``: the folder standing for the capture prefix;
* ``DATA_CAPTURE_PERCENT``: 0-100, the share of requests captured (0 writes nothing);
* ``DATA_CAPTURE_ENDPOINT``, ``DATA_CAPTURE_VARIANT``: the path's endpoint and variant.

Files are laid out as SageMaker's,
``<dir>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<id>.jsonl`` (the UTC inference
time's hour), one file per worker process and hour, so workers never share a file. Records are
buffered in memory and appended by the worker itself, never by a thread per request: when the
buffer reaches ``FLUSH_BYTES``, one second after its first record (a timer on the worker's event
loop), at the hour's turn and when the worker exits.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import logging
import os
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("serve")

ENV_DIR = "DATA_CAPTURE_DIR"
ENV_PERCENT = "DATA_CAPTURE_PERCENT"
ENV_ENDPOINT = "DATA_CAPTURE_ENDPOINT"
ENV_VARIANT = "DATA_CAPTURE_VARIANT"
EVENT_VERSION = "0"
FLUSH_BYTES = 256 * 1024
FLUSH_SECONDS = 1.0
# SageMaker's default CaptureContentTypeHeader: text is kept as text, anything else as base64.
_CSV_TYPES = frozenset({"text/csv"})
_JSON_TYPES = frozenset({"application/json", "application/jsonlines"})


class CaptureConfigError(ValueError):
    """A DATA_CAPTURE_* variable has a value capture cannot use."""


@dataclass(frozen=True)
class CaptureSettings:
    directory: Path
    percent: float
    endpoint: str
    variant: str

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> CaptureSettings | None:
        """The settings, or None when capture is off (no directory, or 0%)."""
        env = os.environ if env is None else env
        directory = (env.get(ENV_DIR) or "").strip()
        if not directory:
            return None
        raw = (env.get(ENV_PERCENT) or "100").strip()
        try:
            percent = float(raw)
        except ValueError:
            raise CaptureConfigError(f"${ENV_PERCENT} must be 0-100, got {raw!r}") from None
        if not 0 <= percent <= 100:
            raise CaptureConfigError(f"${ENV_PERCENT} must be 0-100, got {raw!r}")
        if percent == 0:
            return None
        return cls(
            Path(directory),
            percent,
            _path_part(env.get(ENV_ENDPOINT) or "local", ENV_ENDPOINT),
            _path_part(env.get(ENV_VARIANT) or "AllTraffic", ENV_VARIANT),
        )


def _path_part(value: str, variable: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise CaptureConfigError(f"${variable} must be a plain name, got {value!r}")
    return value


def section(content_type: str, body: bytes, mode: str) -> dict[str, str]:
    """``endpointInput`` / ``endpointOutput``: text types as text, others base64."""
    media = content_type.split(";")[0].strip().lower()
    if media in _CSV_TYPES or media in _JSON_TYPES:
        try:
            text = body.decode("utf-8")
            encoding = "CSV" if media in _CSV_TYPES else "JSON"
            return {"observedContentType": content_type, "mode": mode, "data": text,
                    "encoding": encoding}  # fmt: skip
        except UnicodeDecodeError:
            pass
    return {
        "observedContentType": content_type,
        "mode": mode,
        "data": base64.b64encode(body).decode("ascii"),
        "encoding": "BASE64",
    }


def inference_time(when: datetime) -> str:
    """ISO 8601 UTC with milliseconds (``2026-12-05T10:31:27.123Z``), so windows split exactly."""
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:"
        f"{when.second:02d}.{when.microsecond // 1000:03d}Z"
    )


def event_id(rng: random.Random) -> str:
    """A random (version 4) UUID from the worker's own generator: no system call per request,
    unlike ``uuid.uuid4`` (``os.urandom``); the generator is seeded from the OS per worker."""
    n = (rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def capture_record(
    request_type: str,
    request: bytes,
    response_type: str,
    response: bytes,
    when: datetime,
    event: str | None = None,
) -> dict[str, Any]:
    """One record in SageMaker's data-capture JSON Lines format."""
    return {
        "captureData": {
            "endpointInput": section(request_type, request, "INPUT"),
            "endpointOutput": section(response_type, response, "OUTPUT"),
        },
        "eventMetadata": {
            "eventId": event or str(uuid.uuid4()),
            "inferenceTime": inference_time(when),
        },
        "eventVersion": EVENT_VERSION,
    }


class DataCapture:
    """One worker's capture writer: sample, buffer, append to the hour's file."""

    def __init__(
        self,
        settings: CaptureSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._rng = rng or random.Random()
        self._buffer: list[bytes] = []
        self._size = 0
        self._hour: tuple[int, int, int, int] | None = None
        self._file: Path | None = None
        self._made: Path | None = None  # the file whose folder exists
        self._timer: asyncio.TimerHandle | None = None
        self.captured = 0
        atexit.register(self.flush)

    def record(
        self,
        request_type: bytes | str | None,
        request: bytes,
        response_type: bytes | str,
        response: bytes,
    ) -> None:
        """Capture one answered request (sampled at the configured percentage)."""
        if self.settings.percent < 100 and self._rng.random() * 100 >= self.settings.percent:
            return
        when = self.clock()
        hour = (when.year, when.month, when.day, when.hour)
        if hour != self._hour:
            self.flush()
            self._hour, self._file = hour, self._path_for(when)
        line = orjson.dumps(
            capture_record(
                _text(request_type),
                request,
                _text(response_type),
                response,
                when,
                event_id(self._rng),
            )
        )
        self._buffer.append(line + b"\n")
        self._size += len(line) + 1
        self.captured += 1
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            self._schedule()

    def flush(self) -> None:
        """Append the buffered records to the current hour's file."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer or self._file is None:
            return
        data, self._buffer, self._size = b"".join(self._buffer), [], 0
        try:
            if self._file != self._made:
                self._file.parent.mkdir(parents=True, exist_ok=True)
                self._made = self._file
            with open(self._file, "ab") as handle:
                handle.write(data)
        except OSError as exc:  # capture must never fail a request
            log.warning("data capture could not write %s: %s", self._file, exc)

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop (tests, scripts): write at once
            self.flush()
            return
        self._timer = loop.call_later(FLUSH_SECONDS, self.flush)

    def _path_for(self, when: datetime) -> Path:
        s = self.settings
        folder = s.directory / s.endpoint / s.variant / when.strftime("%Y/%m/%d/%H")
        name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
        return folder / name


def _text(value: bytes | str | None) -> str:
    if value is None:
        return "application/octet-stream"
    return value.decode("latin-1") if isinstance(value, bytes) else value


def capture_from_environ() -> DataCapture | None:
    """The worker's capture writer, or None when capture is off."""
    settings = CaptureSettings.from_environ()
    return DataCapture(settings) if settings is not None else None
