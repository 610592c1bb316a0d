"""argparse value types shared by the programs' command lines, so a bad flag reads the same
everywhere (argparse turns these errors into exit code 2 with the message)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def seed(text: str) -> int:
    """A random seed: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def positive_int(text: str) -> int:
    """A count of at least 1; ``1_000_000`` style underscores are allowed."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def fraction(allow_zero: bool, allow_one: bool) -> Callable[[str], float]:
    """A fraction in [0, 1], excluding the ends that make no sense for the flag."""
    low, high = "[0" if allow_zero else "(0", "1]" if allow_one else "1)"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        too_low = value < 0 or (value == 0 and not allow_zero)
        too_high = value > 1 or (value == 1 and not allow_one)
        if too_low or too_high or value != value:
            raise argparse.ArgumentTypeError(f"{text} is outside {low}, {high}")
        return value

    return parse
