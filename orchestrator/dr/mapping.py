"""``--artifacts-map OLD=NEW`` and ``--images-map OLD=NEW``: prefix rewrites for a restore
into another bucket, region or account (the replicated copies of the artifacts and images)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orchestrator.errors import UserError

PrefixMap = tuple[tuple[str, str], ...]


def parse(pairs: Sequence[str], flag: str, scheme: str = "") -> PrefixMap:
    """``OLD=NEW`` pairs, longest OLD first so the most specific prefix wins."""
    parsed: list[tuple[str, str]] = []
    for text in pairs:
        old, sep, new = text.partition("=")
        if not sep or not old or not new:
            raise UserError(
                f"{flag} {text!r} is not OLD_PREFIX=NEW_PREFIX; write e.g. "
                f"{flag} s3://mlops-dev-artifacts/=s3://mlops-dev-artifacts-replica/"
            )
        if scheme and not (old.startswith(scheme) and new.startswith(scheme)):
            raise UserError(f"{flag} {text!r}: both prefixes must start with {scheme}")
        parsed.append((old, new))
    return tuple(sorted(parsed, key=lambda pair: -len(pair[0])))


def apply(value: str, prefixes: PrefixMap) -> str:
    for old, new in prefixes:
        if value.startswith(old):
            return new + value[len(old) :]
    return value


def apply_all(values: Mapping[str, str], prefixes: PrefixMap) -> dict[str, str]:
    return {key: apply(value, prefixes) for key, value in values.items()}
