"""The Markdown table of a benchmark run (``benchmarks/results/latest.md``), built from the same
dictionary that is written as JSON, so the two never disagree."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .common import RESULTS, fmt, median, ratio


def balanced_rps(peer: dict[str, Any], workers: int) -> float:
    """Median req/s over the runs in which every worker did work (NaN if none did).

    A worker that accepts a keep-alive connection keeps it, and one worker often accepts all of
    wrk's connections at once, which halves a run's throughput on 2 workers whatever the server.
    This figure compares the servers' own speed; the headline medians include that effect."""
    busy = peer.get("busy_workers_per_run", [])
    values = [
        run["requests_per_second"]
        for run, count in zip(peer["runs"], busy, strict=False)
        if count >= workers
    ]
    return median(values) if values else float("nan")


def _serving(serving: dict[str, Any]) -> list[str]:
    lines = [
        "### Serving (wrk, medians of the runs)",
        "",
        "| case | server | req/s | req/s, every worker busy | rows/s | p50 ms | p99 ms | non-2xx "
        "| socket errors | CPU % per worker | busy workers per run | server CPU ms/request |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    workers = serving["settings"]["workers"]
    for name, case in serving["cases"].items():
        for kind, p in case["peers"].items():
            lines.append(
                f"| {name} | {kind} | {fmt(p['requests_per_second'])} | "
                f"{fmt(balanced_rps(p, workers))} | "
                f"{fmt(p['rows_per_second'])} | {p['p50_ms']:.2f} | {p['p99_ms']:.2f} | "
                f"{p['non_2xx']} | {p['socket_errors']} | "
                f"{' / '.join(f'{x:.0f}' for x in p['cpu_percent_per_worker'])} | "
                f"{', '.join(str(n) for n in p['busy_workers_per_run'])} | "
                f"{p['server_cpu_ms_per_request']:.3f} |"
            )
    settings = serving["settings"]
    lines.append("")
    for name, case in serving["cases"].items():
        peers = case["peers"]
        order = sorted(peers, key=lambda kind: kind != "bare-direct")  # the floor first
        ours = balanced_rps(peers["ours"], workers)
        parts = [
            f"ours/{kind} req/s = {fmt(ratio(ours, balanced_rps(peers[kind], workers)))}"
            for kind in order
            if kind != "ours"
        ]
        lines.append(f"- {name}, runs with every worker busy: {', '.join(parts)}")
    lines += [
        "",
        f"{settings['workers']} workers per server, {settings['connections']} connections, "
        f"{settings['runs']} runs of {settings['seconds']:g} s after a "
        f"{settings['warmup_seconds']:g} s warm-up. TCP_NODELAY: {serving['tcp_nodelay']}.",
        "",
    ]
    return lines + _memory(serving.get("memory_per_worker", {}))


def _memory(memory: dict[str, Any]) -> list[str]:
    if not memory:
        return []
    lines = [
        "### Memory per worker (RSS MB, each process serving requests)",
        "",
        "| server | after load | after the serving runs | requests served in the runs |",
        "| --- | --- | --- | ---: |",
    ]
    for kind, figures in memory.items():
        lines.append(
            f"| {kind} | {' / '.join(f'{x:.0f}' for x in figures['after_load_mb'])} | "
            f"{' / '.join(f'{x:.0f}' for x in figures['after_requests_mb'])} | "
            f"{figures['requests']:,} |"
        )
    return [*lines, ""]


def _batch(batch: dict[str, Any]) -> list[str]:
    lines = [
        "### Batch transform",
        "",
        "| rows | pipeline | rows/s | seconds | peak memory MB |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size in batch["sizes"].values():
        for label, key in (
            ("ours (batch transform + serve)", "ours"),
            ("in-process", "in_process"),
        ):
            figures = size[key]
            lines.append(
                f"| {size['rows']:,} | {label} | {fmt(figures['rows_per_second'])} | "
                f"{figures['seconds']:.1f} | {figures['peak_mb']:.0f} |"
            )
    return [*lines, ""]


def _training(training: dict[str, Any]) -> list[str]:
    return [
        "### Training",
        "",
        "| rows (train / validation) | features | ours s | bare xgboost.train s | ours/bare |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| {training['train_rows']:,} / {training['validation_rows']:,} | "
        f"{training['features']} | {training['ours_median_seconds']:.1f} | "
        f"{training['bare_median_seconds']:.1f} | {fmt(training['ours_over_bare'])} |",
        "",
    ]


def _targets(sections: dict[str, Any]) -> list[str]:
    lines = [
        "### Targets (issues 6 and 20)",
        "",
        "| target | measured | met |",
        "| --- | ---: | --- |",
    ]
    for section in sections.values():
        if not isinstance(section, dict):
            continue
        for name, check in section.get("targets", {}).items():
            value = check["value"]
            shown = fmt(value, 3) if isinstance(value, float) else str(value)
            lines.append(f"| {name} | {shown} | {'yes' if check['met'] else '**no**'} |")
    return [*lines, ""]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"## Benchmark results ({result['finished_at']})",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}, {m['platform']}; "
        f"load average at start {m['loadavg_at_start']}.",
        "",
    ]
    sections = result["sections"]
    if "serving" in sections:
        lines += _serving(sections["serving"])
    if "batch" in sections:
        lines += _batch(sections["batch"])
    if "training" in sections:
        lines += _training(sections["training"])
    if "local_run" in sections:
        run = sections["local_run"]
        lines += [
            "### Local run (`orchestrator run --env local`, demo data)",
            "",
            f"Cold {run['cold_seconds']} s (target {run['target_seconds']:g} s), cached "
            f"{run['cached_seconds']} s.",
            "",
        ]
    lines += _targets(sections)
    if result.get("ratio_lines"):
        lines += ["```", *result["ratio_lines"], "```", ""]
    return "\n".join(lines)


def main() -> int:
    """Re-render ``results/latest.md`` from ``results/latest.json`` (after a report change)."""
    source = RESULTS / "latest.json"
    if not source.is_file():
        print(f"no {source}; run `make bench` first", file=sys.stderr)
        return 1
    Path(RESULTS / "latest.md").write_text(markdown(json.loads(source.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
