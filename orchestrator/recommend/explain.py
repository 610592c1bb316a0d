"""The plain-English account of a recommendation: what was chosen, why, and what was measured
versus assumed."""

from __future__ import annotations

from orchestrator.recommend import endpoint_choice, training_choice
from orchestrator.recommend.endpoint_choice import EndpointChoice, EndpointNeeds
from orchestrator.recommend.measurements import Measurements
from orchestrator.recommend.training_choice import TrainingChoice, TrainingNeeds


def endpoint(choice: EndpointChoice, needs: EndpointNeeds, measured: Measurements) -> str:
    m = measured.endpoint
    if choice.chosen is None:
        return f"No endpoint recommendation: {choice.problem}."
    c = choice.chosen
    text = (
        f"{c.count} x {c.instance_type} at ${c.usd_per_hour_each:g}/hour each "
        f"(${c.usd_per_hour:g}/hour). serve runs one worker per vCPU, so {c.vcpus} workers need "
        f"about {c.memory_needed_mib:g} MiB ({m.master_rss_mib:g} MiB master + {c.vcpus} x "
        f"{m.largest_worker_mib:g} MiB per worker + {m.model_mib:g} MiB model), within the "
        f"{c.memory_usable_mib:g} MiB left after a {endpoint_choice.MEMORY_MARGIN:.0%} margin. "
        f"One vCPU answers about {choice.per_vcpu_requests_per_second:g} requests/s "
        f"({m.service_ms:g} ms of server time per {m.rows_per_request}-row request); the "
        f"{needs.p99_budget_ms:g} ms p99 budget against {m.latency_p99_ms:g} ms measured allows "
        f"workers to be busy {choice.utilization:.0%} of the time, so one instance serves about "
        f"{c.requests_per_second_per_instance:g} requests/s and "
        f"{needs.requests_per_second:g} requests/s ({needs.requests_per_second_source}) needs "
        f"{c.count}. It is the cheapest of {len(choice.options)} priced types that fit."
    )
    if choice.unpriced:
        text += (
            f" Not compared for want of a price in the table: {len(choice.unpriced)} types "
            f"({', '.join(choice.unpriced[:4])}, ...)."
        )
    return text


def training(choice: TrainingChoice, needs: TrainingNeeds, measured: Measurements) -> str:
    t = measured.training
    if choice.chosen is None:
        return f"No training recommendation: {choice.problem}."
    c = choice.chosen
    text = (
        f"{c.instance_type} at ${c.usd_per_hour:g}/hour: the {t.source} trained "
        f"{t.train_rows} rows in {t.trial_seconds:g} s per trial "
        f"({t.seconds_per_million_rows:,.0f} s per million rows on {t.threads_per_trial:g} "
        f"threads), so {choice.train_rows} training rows ({needs.rows} in the dataset, "
        f"{needs.rows_source}) take about {c.trial_seconds:g} s per trial on {c.vcpus} vCPUs, "
        f"{needs.trials} trials {c.tuning_wall_seconds:g} s in waves of "
        f"{needs.parallel_trials}, about ${c.tuning_cost_usd:g} of instance time; the data needs "
        f"about {c.memory_needed_mib:g} MiB of its {c.memory_gib:g} GiB. It is the cheapest of "
        f"{len(choice.options)} priced CPU types that fit."
    )
    if t.train_rows < 100_000:
        text += (
            " The recorded trials trained few rows, so their time is mostly the train "
            "program's fixed start-up: the per-million-rows figure overstates larger datasets."
        )
    return text


def assumptions(measured: Measurements) -> list[str]:
    """What the recommendation took as given rather than measured."""
    return [
        f"An AWS vCPU is as fast as one of this machine's {measured.cpus} CPUs "
        f"({measured.machine}).",
        "serve runs one worker per vCPU (its default on SageMaker); worker RSS counts pages "
        "shared with the master once per worker, which overstates memory a little.",
        f"Workers are kept at most {endpoint_choice.TARGET_UTILIZATION:.0%} busy; p99 latency "
        "under load grows as p99 / (1 - utilization).",
        f"Training scales over vCPUs by Amdahl's law with {training_choice.PARALLEL_FRACTION:.0%} "
        f"of the work parallel; training data needs {training_choice.DATA_COPIES} float64 "
        f"copies plus {training_choice.BASE_MIB:g} MiB.",
        "Prices are on-demand us-east-1 figures from instances.json (see its sources and date); "
        "savings plans, storage and data transfer are not included.",
    ]
