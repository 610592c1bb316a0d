"""The instance table (``instances.json``): vCPUs, memory, GPUs and on-demand prices per usage.

The table is data, not code: its region, the date and source of every price and its notes
travel with it into every recommendation. A usage with no price in the table is "no figure
found", never zero; the choice modules skip such types and say so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from orchestrator.errors import UserError

Usage = Literal["training", "processing", "inference"]
USAGES: tuple[Usage, ...] = ("training", "processing", "inference")
TABLE_PATH = Path(__file__).with_name("instances.json")


@dataclass(frozen=True)
class Price:
    usd_per_hour: float
    source: str


@dataclass(frozen=True)
class InstanceSpec:
    name: str
    vcpus: int
    memory_gib: float
    gpus: int
    prices: dict[str, Price] = field(default_factory=dict)

    def price(self, usage: Usage) -> Price | None:
        return self.prices.get(usage)


@dataclass(frozen=True)
class Catalog:
    """The table: instances by name plus where the prices come from."""

    region: str
    compiled_on: str
    prices_as_of: str
    sources: dict[str, dict[str, str]]
    notes: tuple[str, ...]
    instances: dict[str, InstanceSpec]

    def get(self, name: str) -> InstanceSpec | None:
        return self.instances.get(name)

    def provenance(self) -> dict[str, Any]:
        """What a recommendation carries about its prices."""
        return {
            "region": self.region,
            "compiled_on": self.compiled_on,
            "prices_as_of": self.prices_as_of,
            "sources": self.sources,
            "table": "orchestrator/recommend/instances.json",
        }


def parse(data: dict[str, Any], where: str = str(TABLE_PATH)) -> Catalog:
    """A catalog from the table's JSON; a malformed table is a UserError naming the entry."""
    try:
        sources = {str(k): dict(v) for k, v in data["sources"].items()}
        instances = {name: _spec(name, entry, sources) for name, entry in data["instances"].items()}
        return Catalog(
            region=str(data["region"]),
            compiled_on=str(data["compiled_on"]),
            prices_as_of=str(data["prices_as_of"]),
            sources=sources,
            notes=tuple(str(n) for n in data.get("notes", ())),
            instances=instances,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{where} is not a valid instance table: {exc!r}") from None


def _spec(name: str, entry: dict[str, Any], sources: dict[str, dict[str, str]]) -> InstanceSpec:
    prices: dict[str, Price] = {}
    for usage, price in entry.get("prices", {}).items():
        if usage not in USAGES:
            raise ValueError(f"{name}: unknown usage {usage!r} (known: {', '.join(USAGES)})")
        if price["source"] not in sources:
            raise ValueError(f"{name}: {usage} price cites unknown source {price['source']!r}")
        amount = float(price["usd_per_hour"])
        if amount <= 0:
            raise ValueError(f"{name}: {usage} price must be positive, not {amount}")
        prices[usage] = Price(amount, str(price["source"]))
    return InstanceSpec(
        name=name,
        vcpus=int(entry["vcpus"]),
        memory_gib=float(entry["memory_gib"]),
        gpus=int(entry.get("gpus", 0)),
        prices=prices,
    )


@cache
def load() -> Catalog:
    """The table shipped with the orchestrator."""
    return parse(json.loads(TABLE_PATH.read_text()))
