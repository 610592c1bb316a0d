"""The endpoint's instance type and count: the cheapest priced CPU type that holds the serving
processes in memory with a margin and serves the target rate within the latency budget.

The model, with fixed measurements (pure: no I/O, so tests can pin every branch):

- ``serve`` runs one worker per vCPU on SageMaker (its default), so a type needs
  ``master RSS + vCPUs x worker RSS + model size`` within ``1 - MEMORY_MARGIN`` of its memory.
- One vCPU serves ``1000 / service_ms`` requests per second (service_ms: the server's measured
  CPU time per request), assuming an AWS vCPU is as fast as a core of the measuring machine.
- Queueing stretches latency as load rises: with a worker busy a fraction ``u`` of the time, a
  request's p99 grows roughly as ``p99 / (1 - u)`` (a single-server queue's response time), so
  the budget allows ``u <= 1 - p99 / budget``, and never above ``TARGET_UTILIZATION``.
- Count = the target rate over one instance's ``vCPUs x per-vCPU rate x u``, rounded up.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.recommend.catalog import Catalog, InstanceSpec
from orchestrator.recommend.measurements import EndpointMeasurement

TARGET_UTILIZATION = 0.7  # headroom for bursts and a lost instance's traffic (assumed)
MEMORY_MARGIN = 0.25  # of an instance's memory left to the OS, SageMaker's agents and growth
MAX_INSTANCES = 100  # endpoint.initial_instance_count's limit


@dataclass(frozen=True)
class EndpointNeeds:
    requests_per_second: float
    requests_per_second_source: str
    p99_budget_ms: float


@dataclass(frozen=True)
class EndpointOption:
    instance_type: str
    count: int
    vcpus: int
    memory_gib: float
    memory_needed_mib: float
    memory_usable_mib: float
    requests_per_second_per_instance: float
    usd_per_hour_each: float
    usd_per_hour: float
    price_source: str


@dataclass(frozen=True)
class EndpointChoice:
    chosen: EndpointOption | None
    options: tuple[EndpointOption, ...]  # every priced type that fits, cheapest first
    unpriced: tuple[str, ...]  # types that would fit but have no inference price in the table
    too_small: tuple[str, ...]  # priced or not: memory too small for the serving processes
    utilization: float
    per_vcpu_requests_per_second: float
    problem: str | None = None
    considered: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = data["options"][:5]
        data.pop("considered")
        return data


def memory_needed_mib(measured: EndpointMeasurement, vcpus: int) -> float:
    return measured.master_rss_mib + vcpus * measured.largest_worker_mib + measured.model_mib


def choose(
    catalog: Catalog,
    allowed: frozenset[str],
    measured: EndpointMeasurement,
    needs: EndpointNeeds,
) -> EndpointChoice:
    """The cheapest fitting option among ``allowed`` CPU types of the catalog."""
    per_vcpu = 1000.0 / measured.service_ms
    if measured.latency_p99_ms >= needs.p99_budget_ms:
        problem = (
            f"one request already takes {measured.latency_p99_ms:g} ms at p99 on an idle "
            f"server, at or over the {needs.p99_budget_ms:g} ms budget "
            "(endpoint.test.p99_latency_ms): more instances share the load but do not make a "
            "single request faster; raise the budget or make the model cheaper to serve"
        )
        return EndpointChoice(None, (), (), (), 0.0, per_vcpu, problem)
    utilization = min(TARGET_UTILIZATION, 1.0 - measured.latency_p99_ms / needs.p99_budget_ms)
    options, unpriced, too_small = [], [], []
    candidates = [s for s in catalog.instances.values() if s.name in allowed and s.gpus == 0]
    for spec in sorted(candidates, key=lambda s: (s.vcpus, s.memory_gib, s.name)):
        option = _option(spec, measured, needs, per_vcpu * utilization)
        if option is None:
            too_small.append(spec.name)
        elif spec.price("inference") is None:
            unpriced.append(spec.name)
        else:
            options.append(option)
    options.sort(key=lambda o: (o.usd_per_hour, o.count, o.vcpus, o.instance_type))
    no_fit = None if options else _nothing_fits(unpriced, too_small)
    return EndpointChoice(
        chosen=options[0] if options else None,
        options=tuple(options),
        unpriced=tuple(unpriced),
        too_small=tuple(too_small),
        utilization=round(utilization, 3),
        per_vcpu_requests_per_second=round(per_vcpu, 2),
        problem=no_fit,
        considered=tuple(s.name for s in candidates),
    )


def _option(
    spec: InstanceSpec, measured: EndpointMeasurement, needs: EndpointNeeds, per_vcpu: float
) -> EndpointOption | None:
    needed = memory_needed_mib(measured, spec.vcpus)
    usable = spec.memory_gib * 1024 * (1 - MEMORY_MARGIN)
    capacity = spec.vcpus * per_vcpu
    count = max(1, math.ceil(needs.requests_per_second / capacity))
    if needed > usable or count > MAX_INSTANCES:
        return None
    price = spec.price("inference")
    each = price.usd_per_hour if price else 0.0
    return EndpointOption(
        instance_type=spec.name,
        count=count,
        vcpus=spec.vcpus,
        memory_gib=spec.memory_gib,
        memory_needed_mib=round(needed, 1),
        memory_usable_mib=round(usable, 1),
        requests_per_second_per_instance=round(capacity, 1),
        usd_per_hour_each=each,
        usd_per_hour=round(each * count, 4),
        price_source=price.source if price else "",
    )


def _nothing_fits(unpriced: list[str], too_small: list[str]) -> str:
    if unpriced:
        return (
            f"no type with an inference price fits; {', '.join(unpriced[:6])} would, but the "
            "table has no price for them (orchestrator/recommend/instances.json, notes)"
        )
    return (
        f"no endpoint type holds the serving processes within {MEMORY_MARGIN:.0%} of spare "
        f"memory, or the rate needs more than {MAX_INSTANCES} instances ({len(too_small)} "
        "types tried)"
    )
