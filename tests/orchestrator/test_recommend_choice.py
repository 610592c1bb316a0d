"""The choice logic with fixed measurements: memory picks a larger type, a tight latency budget
picks more instances, the cheapest fitting type wins, and a type without a price is reported,
never guessed."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.recommend import catalog, endpoint_choice, training_choice
from orchestrator.recommend.measurements import EndpointMeasurement, TrainingMeasurement


def _catalog(prices: dict[str, float | None], usage: str = "inference") -> catalog.Catalog:
    shapes = {"ml.c5.large": (2, 4), "ml.m5.large": (2, 8), "ml.m5.xlarge": (4, 16),
              "ml.r5.large": (2, 16), "ml.m6i.large": (2, 8)}  # fmt: skip
    instances: dict[str, Any] = {}
    for name, price in prices.items():
        vcpus, memory = shapes[name]
        entry = {"usd_per_hour": price, "source": "s"}
        instances[name] = {
            "vcpus": vcpus, "memory_gib": memory, "gpus": 0,
            "prices": {usage: entry} if price is not None else {},
        }  # fmt: skip
    return catalog.parse(
        {
            "region": "us-east-1",
            "compiled_on": "d",
            "prices_as_of": "d",
            "sources": {"s": {"url": "https://aws.amazon.com/x", "date": "d"}},
            "instances": instances,
        }
    )


def _served(
    worker_mib: float = 100.0, p99: float = 5.0, cpu_ms: float = 2.0
) -> EndpointMeasurement:
    return EndpointMeasurement(
        model="m v1", requests=200, rows_per_request=1, latency_p50_ms=p99 / 2,
        latency_p99_ms=p99, latency_mean_ms=p99 / 2, server_cpu_ms_per_request=cpu_ms,
        workers=2, worker_rss_mib=(worker_mib, worker_mib), master_rss_mib=50.0, model_mib=1.0,
    )  # fmt: skip


def _needs(rps: float = 10.0, budget: float = 1000.0) -> endpoint_choice.EndpointNeeds:
    return endpoint_choice.EndpointNeeds(rps, "test", budget)


ALL = frozenset({"ml.c5.large", "ml.m5.large", "ml.m5.xlarge", "ml.r5.large", "ml.m6i.large"})


def test_the_cheapest_fitting_type_wins() -> None:
    table = _catalog({"ml.c5.large": 0.102, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23})
    choice = endpoint_choice.choose(table, ALL, _served(), _needs())
    assert choice.chosen is not None and choice.chosen.instance_type == "ml.c5.large"
    assert choice.chosen.count == 1 and choice.chosen.usd_per_hour == 0.102
    assert [o.instance_type for o in choice.options] == [
        "ml.c5.large",
        "ml.m5.large",
        "ml.m5.xlarge",
    ]


def test_a_model_that_needs_more_memory_than_a_small_type_gets_a_larger_one() -> None:
    # 2 workers x 1800 MiB + 50 + 1 = 3651 MiB: over c5.large's 3072 usable, within m5.large's.
    table = _catalog({"ml.c5.large": 0.102, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23})
    choice = endpoint_choice.choose(table, ALL, _served(worker_mib=1800.0), _needs())
    assert choice.chosen is not None and choice.chosen.instance_type == "ml.m5.large"
    assert "ml.c5.large" in choice.too_small
    assert choice.chosen.memory_needed_mib == pytest.approx(3651.0)


def test_a_latency_budget_one_instance_cannot_meet_gets_more_instances() -> None:
    table = _catalog({"ml.c5.large": 0.102})
    relaxed = endpoint_choice.choose(table, ALL, _served(p99=5.0), _needs(rps=300, budget=1000))
    tight = endpoint_choice.choose(table, ALL, _served(p99=5.0), _needs(rps=300, budget=6.0))
    assert relaxed.chosen is not None and tight.chosen is not None
    assert relaxed.chosen.count == 1  # 2 vCPUs x 500/s x 70% = 700/s
    # a 6 ms budget over a 5 ms p99 leaves workers 1/6 busy: 2 x 500 x 1/6 = 166/s per instance
    assert tight.chosen.count == 2 and tight.utilization == pytest.approx(1 / 6, abs=1e-3)


def test_a_budget_below_one_requests_latency_is_reported_not_scaled() -> None:
    choice = endpoint_choice.choose(
        _catalog({"ml.c5.large": 0.102}), ALL, _served(p99=50.0), _needs(budget=40.0)
    )
    assert choice.chosen is None and choice.problem and "do not make a" in choice.problem


def test_a_type_without_a_price_is_reported_not_guessed() -> None:
    table = _catalog({"ml.m6i.large": None, "ml.m5.large": 0.115})
    choice = endpoint_choice.choose(table, ALL, _served(), _needs())
    assert choice.chosen is not None and choice.chosen.instance_type == "ml.m5.large"
    assert choice.unpriced == ("ml.m6i.large",)
    only_unpriced = endpoint_choice.choose(
        _catalog({"ml.m6i.large": None}), ALL, _served(), _needs()
    )
    assert only_unpriced.chosen is None
    assert only_unpriced.problem and "ml.m6i.large" in only_unpriced.problem
    assert "no price" in only_unpriced.problem


def test_types_the_endpoint_api_does_not_allow_are_not_chosen() -> None:
    table = _catalog({"ml.c5.large": 0.102, "ml.m5.large": 0.115})
    choice = endpoint_choice.choose(table, frozenset({"ml.m5.large"}), _served(), _needs())
    assert choice.chosen is not None and choice.chosen.instance_type == "ml.m5.large"


def _trained(rows: int = 1_000_000) -> TrainingMeasurement:
    return TrainingMeasurement(
        source="recorded execution x", execution="x", trials=2, trial_seconds=60.0,
        train_rows=int(rows * 0.7), validation_rows=int(rows * 0.15), rows_in=rows,
        features=30, threads_per_trial=2.0,
    )  # fmt: skip


def _training_needs(rows: int, runtime: int = 3600) -> training_choice.TrainingNeeds:
    return training_choice.TrainingNeeds(rows, "test", 4, 2, runtime)


def test_training_data_that_outgrows_a_small_types_memory_gets_a_larger_one() -> None:
    table = _catalog({"ml.m5.large": 0.115, "ml.r5.large": 0.151}, usage="training")
    small = training_choice.choose(table, ALL, _trained(), _training_needs(1_000_000))
    # 12M rows: 10.2M in memory x 30 x 8 B x 4 = 9.1 GiB + 1 GiB: over m5.large's 6 usable GiB,
    # under r5.large's 12
    large = training_choice.choose(table, ALL, _trained(), _training_needs(12_000_000))
    assert small.chosen is not None and small.chosen.instance_type == "ml.m5.large"
    assert large.chosen is not None and large.chosen.instance_type == "ml.r5.large"
    assert "ml.m5.large" in large.too_small_or_slow


def test_training_time_scales_with_rows_and_the_runtime_limit_is_kept() -> None:
    table = _catalog({"ml.m5.large": 0.115}, usage="training")
    choice = training_choice.choose(table, ALL, _trained(), _training_needs(2_000_000))
    assert choice.chosen is not None
    assert choice.chosen.trial_seconds == pytest.approx(120.0)  # twice the rows, same vCPUs
    assert choice.chosen.tuning_cost_usd == pytest.approx(4 * 120 / 3600 * 0.115, rel=1e-3)
    too_slow = training_choice.choose(table, ALL, _trained(), _training_needs(2_000_000, 100))
    assert (
        too_slow.chosen is None and too_slow.problem and "max_runtime_seconds" in too_slow.problem
    )
