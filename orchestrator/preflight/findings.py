"""What a preflight rule reports: the rule, the resource, what AWS would do, and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    resource: str
    problem: str  # what AWS would do with it, in AWS's terms
    fix: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
