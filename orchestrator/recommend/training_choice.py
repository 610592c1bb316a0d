"""The training instance type: the cheapest priced CPU type whose estimated tuning job finishes
each trial within the environment's max runtime and holds the data in memory.

The model, with fixed measurements (pure):

- A trial's time scales with the training rows (the recorded trial time per row) and with the
  instance's vCPUs by Amdahl's law, ``(1 - p) + p / n`` with ``p = PARALLEL_FRACTION``
  (assumed: XGBoost's hist method is mostly parallel, reading the CSVs is not), relative to the
  threads the recorded trial had.
- Memory: the train and validation rows as float64 values, ``DATA_COPIES`` times (CSV parsing,
  the DMatrix and its quantile sketch; assumed), plus ``BASE_MIB`` for the process, within
  ``1 - MEMORY_MARGIN`` of the instance's memory.
- Cost of the tuning step: every trial's estimated hours times the hourly price.
GPU types are not considered: GPU training time was not measured.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from orchestrator.recommend.catalog import Catalog, InstanceSpec
from orchestrator.recommend.measurements import MIB, TrainingMeasurement

PARALLEL_FRACTION = 0.9
DATA_COPIES = 4
BYTES_PER_VALUE = 8
BASE_MIB = 1024.0
MEMORY_MARGIN = 0.25


@dataclass(frozen=True)
class TrainingNeeds:
    rows: int  # the whole dataset's rows (before the splits)
    rows_source: str
    trials: int
    parallel_trials: int
    max_runtime_seconds: int


@dataclass(frozen=True)
class TrainingOption:
    instance_type: str
    vcpus: int
    memory_gib: float
    memory_needed_mib: float
    trial_seconds: float
    tuning_wall_seconds: float
    usd_per_hour: float
    tuning_cost_usd: float
    price_source: str


@dataclass(frozen=True)
class TrainingChoice:
    chosen: TrainingOption | None
    options: tuple[TrainingOption, ...]
    unpriced: tuple[str, ...]
    too_small_or_slow: tuple[str, ...]
    train_rows: int
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = data["options"][:5]
        return data


def amdahl(threads: float) -> float:
    return (1 - PARALLEL_FRACTION) + PARALLEL_FRACTION / threads


def choose(
    catalog: Catalog,
    allowed: frozenset[str],
    measured: TrainingMeasurement,
    needs: TrainingNeeds,
) -> TrainingChoice:
    fraction = measured.train_rows / measured.rows_in
    train_rows = max(1, round(needs.rows * fraction))
    rows_in_memory = (
        needs.rows * (measured.train_rows + measured.validation_rows) / measured.rows_in
    )
    data_mib = rows_in_memory * measured.features * BYTES_PER_VALUE * DATA_COPIES / MIB
    options, unpriced, rejected = [], [], []
    candidates = [s for s in catalog.instances.values() if s.name in allowed and s.gpus == 0]
    for spec in sorted(candidates, key=lambda s: (s.vcpus, s.memory_gib, s.name)):
        seconds = (
            measured.trial_seconds
            * (train_rows / measured.train_rows)
            * amdahl(spec.vcpus)
            / amdahl(measured.threads_per_trial)
        )
        needed = BASE_MIB + data_mib
        if needed > spec.memory_gib * 1024 * (1 - MEMORY_MARGIN) or (
            seconds > needs.max_runtime_seconds
        ):
            rejected.append(spec.name)
            continue
        if spec.price("training") is None:
            unpriced.append(spec.name)
            continue
        options.append(_option(spec, seconds, needed, needs))
    options.sort(key=lambda o: (o.trial_seconds * o.usd_per_hour, o.trial_seconds, o.instance_type))
    problem = None
    if not options:
        problem = (
            f"no priced training type holds {round(BASE_MIB + data_mib)} MiB with a margin and "
            f"finishes a trial within {needs.max_runtime_seconds} s "
            "(pipeline.training.max_runtime_seconds)"
            + (f"; unpriced types that would: {', '.join(unpriced[:6])}" if unpriced else "")
        )
    return TrainingChoice(
        chosen=options[0] if options else None,
        options=tuple(options),
        unpriced=tuple(unpriced),
        too_small_or_slow=tuple(rejected),
        train_rows=train_rows,
        problem=problem,
    )


def _option(
    spec: InstanceSpec, seconds: float, needed: float, needs: TrainingNeeds
) -> TrainingOption:
    price = spec.price("training")
    assert price is not None
    waves = math.ceil(needs.trials / max(1, needs.parallel_trials))
    return TrainingOption(
        instance_type=spec.name,
        vcpus=spec.vcpus,
        memory_gib=spec.memory_gib,
        memory_needed_mib=round(needed, 1),
        trial_seconds=round(seconds, 3),
        tuning_wall_seconds=round(seconds * waves, 1),
        usd_per_hour=price.usd_per_hour,
        tuning_cost_usd=round(needs.trials * seconds / 3600 * price.usd_per_hour, 6),
        price_source=price.source,
    )
