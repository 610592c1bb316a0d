"""Line charts drawn on the server as SVG coordinates (no JavaScript, nothing fetched): the
template draws each series as a polyline with its axis, a legend and a table of the values for
people who do not read charts."""

from __future__ import annotations

from typing import Any

WIDTH = 560
HEIGHT = 170
LEFT = 52
BOTTOM = 24
TOP = 10
COLOURS = ("#1f5fa8", "#b3261e", "#6b4fa1", "#2e6b30")  # dark enough on white for lines


def line_chart(
    title: str, labels: list[str], series: dict[str, list[float | None]], unit: str
) -> dict[str, Any]:
    """``series`` by name, one value (or None: no data) per label."""
    values = [v for points in series.values() for v in points if v is not None]
    top = max(values, default=0.0) or 1.0
    plot_width, plot_height = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(labels) - 1, 1)
    drawn = []
    for index, (name, points) in enumerate(series.items()):
        dots = [
            (round(LEFT + i * step, 1), round(TOP + plot_height * (1 - v / top), 1))
            for i, v in enumerate(points)
            if v is not None
        ]
        drawn.append(
            {
                "name": name,
                "colour": COLOURS[index % len(COLOURS)],
                "dots": dots,
                "points": " ".join(f"{x},{y}" for x, y in dots),
            }
        )
    return {
        "title": title,
        "unit": unit,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "right": WIDTH - 8,
        "max": round(top, 3),
        "first": labels[0] if labels else "",
        "last": labels[-1] if labels else "",
        "series": drawn,
        "has_data": bool(values),
    }
