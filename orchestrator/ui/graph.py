"""The step graph of an execution, laid out for an SVG: one column per depth, arrows from each
step to the steps that need it, every node coloured (and labelled) with its step's status.

The graph comes from the definition the execution ran, read through the same model the
validator and the local runner use (:mod:`orchestrator.pipeline.step_graph`), so a step nested
in a condition's branch appears after its condition, as SageMaker runs it.
"""

from __future__ import annotations

from typing import Any

from orchestrator.backends.base import ExecutionSummary
from orchestrator.pipeline.step_graph import DependencyCycle, flatten_steps, run_order

NODE_WIDTH = 170
NODE_HEIGHT = 54
COLUMN_GAP = 60
ROW_GAP = 24
MARGIN = 12
NOT_RUN = "NotRun"


def _depths(needs: dict[str, set[str]], order: list[str]) -> dict[str, int]:
    try:
        ordered = run_order(needs, order)
    except DependencyCycle:
        ordered = order  # a broken definition still draws, in document order
    depth: dict[str, int] = {}
    for name in ordered:
        depth[name] = 1 + max((depth.get(d, 0) for d in needs[name]), default=-1)
    return depth


def layout(definition: dict[str, Any], execution: ExecutionSummary) -> dict[str, Any]:
    """Nodes (name, type, status, seconds, x, y) and edges (from, to, points) of the graph,
    and the drawing's size; steps the summary has but the definition lacks come last."""
    steps = flatten_steps(definition) if definition else []
    types = {s.name: s.type for s in steps}
    for summary in execution.steps:
        types.setdefault(summary.name, summary.type)
    known = set(types)
    needs = {s.name: s.upstream() & known for s in steps}
    for name in types:
        needs.setdefault(name, set())
    depth = _depths(needs, list(types))
    rows: dict[int, int] = {}
    nodes = []
    for name, kind in types.items():
        column = depth.get(name, 0)
        row = rows.get(column, 0)
        rows[column] = row + 1
        step = execution.step(name)
        nodes.append(
            {
                "name": name,
                "type": kind,
                "status": step.status if step else NOT_RUN,
                "seconds": step.seconds if step else None,
                "x": MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
                "y": MARGIN + row * (NODE_HEIGHT + ROW_GAP),
            }
        )
    return {
        "nodes": nodes,
        "edges": _edges(nodes, needs),
        "width": 2 * MARGIN + (max(depth.values(), default=0) + 1) * (NODE_WIDTH + COLUMN_GAP),
        "height": 2 * MARGIN + max(rows.values(), default=1) * (NODE_HEIGHT + ROW_GAP),
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }


def _edges(nodes: list[dict[str, Any]], needs: dict[str, set[str]]) -> list[dict[str, Any]]:
    where = {n["name"]: n for n in nodes}
    edges = []
    for node in nodes:
        for upstream in sorted(needs[node["name"]]):
            source = where[upstream]
            x1, y1 = source["x"] + NODE_WIDTH, source["y"] + NODE_HEIGHT // 2
            x2, y2 = node["x"], node["y"] + NODE_HEIGHT // 2
            edges.append({"from": upstream, "to": node["name"], "points": [x1, y1, x2, y2]})
    return edges
