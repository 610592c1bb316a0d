"""line_blocks packs a file into whole-line requests in C: the records, their line numbers and
the errors must be exactly what reading the file line by line gives."""

from __future__ import annotations

import io
import random

import pytest

from orchestrator.backends.local.line_blocks import line_blocks
from orchestrator.backends.local.serving_errors import BatchTransformError


class TrickleReader(io.BufferedReader):
    """A reader whose reads stop short, as a pipe's may."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(min(size or 7, 7) if size and size > 0 else size)


def _lines(data: bytes) -> list[bytes]:
    return [line.rstrip(b"\r\n") for line in io.BytesIO(data)]


def _blocks(data: bytes, limit: int, trickle: bool = False) -> list:
    raw = io.BytesIO(data)
    source = TrickleReader(raw) if trickle else io.BufferedReader(raw)
    return list(line_blocks(source, limit))


@pytest.mark.parametrize("seed", range(40))
def test_blocks_hold_every_line_in_order_within_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    end = rng.choice([b"\n", b"\r\n"])
    lines = [
        b",".join(b"%d" % rng.randrange(10**6) for _ in range(rng.randint(1, 9)))
        for _ in range(rng.randint(1, 300))
    ]
    data = end.join(lines) + (end if rng.random() < 0.7 else b"")
    limit = max(len(line) for line in lines) + len(end) + rng.randint(0, 400)
    blocks = _blocks(data, limit, trickle=seed % 4 == 0)
    assert all(len(b.payload) <= limit and b.payload.endswith(b"\n") for b in blocks)
    assert [line for b in blocks for line in _lines(b.payload)] == _lines(data) == lines
    numbers = [b.first_line for b in blocks]
    assert numbers[0] == 1
    assert numbers == [1 + sum(b.records for b in blocks[:i]) for i in range(len(blocks))]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"\na,1\n", 1),
        (b"a,1\n\nb,2\n", 2),
        (b"a,1\r\n \t\r\nb,2\r\n", 2),
        (b"a,1\nb,2\n   ", 3),  # a whitespace-only last line without a newline
    ],
)
def test_a_blank_line_is_named(data: bytes, line: int) -> None:
    for trickle in (False, True):
        with pytest.raises(BatchTransformError, match=f"line {line} of the input is blank"):
            _blocks(data, 64, trickle=trickle)


def test_a_line_longer_than_the_limit_is_named_with_its_size() -> None:
    data = b"a,1\n" + b"9" * 5000 + b"\nb,2\n"
    with pytest.raises(BatchTransformError, match="record on line 2 is 5001 bytes, over the 100"):
        _blocks(data, 100)
    exact = b"x" * 99 + b"\n"  # a line and its newline exactly at the limit fit
    assert [b.records for b in _blocks(exact * 3, 100)] == [1, 1, 1]
