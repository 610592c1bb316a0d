"""Content negotiation: which parser a request's ``Content-Type`` selects and which encoder its
``Accept`` header selects.

Clients send the same few header values over and over, so both lookups are memoized on the raw
header bytes; the parsing itself runs once per distinct value.
"""

from __future__ import annotations

import codecs
from contextlib import suppress
from enum import StrEnum
from functools import lru_cache

from .errors import HttpError


class InputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONLINES = "jsonlines"
    NPY = "npy"


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    JSONLINES = "jsonlines"


INPUT_TYPES: dict[str, InputFormat] = {
    "text/csv": InputFormat.CSV,
    "application/csv": InputFormat.CSV,
    "application/json": InputFormat.JSON,
    "application/jsonlines": InputFormat.JSONLINES,
    "application/x-jsonlines": InputFormat.JSONLINES,
    "application/jsonl": InputFormat.JSONLINES,
    "application/x-npy": InputFormat.NPY,
}
OUTPUT_TYPES: dict[str, OutputFormat] = {
    "application/json": OutputFormat.JSON,
    "text/csv": OutputFormat.CSV,
    "application/jsonlines": OutputFormat.JSONLINES,
    "application/x-jsonlines": OutputFormat.JSONLINES,
    "application/jsonl": OutputFormat.JSONLINES,
    "*/*": OutputFormat.JSON,
    "application/*": OutputFormat.JSON,
    "text/*": OutputFormat.CSV,
}
MEDIA_TYPE_OF: dict[OutputFormat, bytes] = {
    OutputFormat.JSON: b"application/json",
    OutputFormat.CSV: b"text/csv; charset=utf-8",
    OutputFormat.JSONLINES: b"application/jsonlines",
}
_SUPPORTED_INPUT = "text/csv, application/json, application/jsonlines or application/x-npy"
_SUPPORTED_OUTPUT = "application/json (the default), text/csv or application/jsonlines"


@lru_cache(maxsize=256)
def input_format(content_type: bytes | None) -> tuple[InputFormat, str]:
    """The parser for a ``Content-Type`` header and the text encoding its charset names."""
    if not content_type:
        raise HttpError(
            415,
            f"the request has no Content-Type; send {_SUPPORTED_INPUT} "
            "(set ContentType on InvokeEndpoint or on the transform job)",
        )
    text = content_type.decode("latin-1")
    media, _, params = text.partition(";")
    media = media.strip().lower()
    found = INPUT_TYPES.get(media)
    if found is None:
        raise HttpError(
            415, f"unsupported Content-Type {text!r}; send {_SUPPORTED_INPUT}", content_type=text
        )
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    try:
        charset = codecs.lookup(charset).name
        _probe_text_encoding(charset)
    except LookupError:
        raise HttpError(
            415, f"unknown charset {charset!r} in Content-Type {text!r}; use utf-8"
        ) from None
    return found, charset


def _probe_text_encoding(charset: str) -> None:
    """LookupError for codecs that exist but do not decode bytes to text (base64, rot13, zlib):
    ``bytes.decode`` refuses them, and a request naming one is the client's mistake (415)."""
    with suppress(UnicodeError):  # a text encoding that cannot decode this one byte (utf-16)
        b"a".decode(charset)


@lru_cache(maxsize=256)
def output_format(accept: bytes | None) -> OutputFormat:
    """The encoder for an ``Accept`` header: the highest-q supported type; none -> JSON."""
    if not accept or not accept.strip():
        return OutputFormat.JSON
    text = accept.decode("latin-1")
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(text.split(",")):
        media, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, media.strip().lower()))
    for _, _, media in sorted(ranked):
        found = OUTPUT_TYPES.get(media)
        if found is not None:
            return found
    raise HttpError(406, f"cannot answer Accept {text!r}; ask for {_SUPPORTED_OUTPUT}", accept=text)
