"""The drift report as one self-contained HTML page: a table of every feature and, for each
drifted one, an inline SVG bar chart of the baseline's and the window's distributions over the
same bins. No JavaScript and no external file, so the page can be mailed, archived in S3 or
opened offline exactly as written.
"""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT, MARGIN = 640, 220, 40
BASELINE_COLOUR, CURRENT_COLOUR = "#4C72B0", "#DD8452"


def render(report: dict[str, Any], title: str = "Drift report") -> str:
    rows = [*report.get("features", []), *report.get("predictions", [])]
    drifted = [f for f in rows if f.get("drifted")]
    window = report.get("window", {})
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}tr.drift{background:#fde8e8}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Status: <strong>{escape(str(report.get('status')))}</strong>; "
        f"{report.get('rows', 0)} rows from {report.get('records', 0)} captured requests "
        f"between {escape(str(window.get('start')))} and {escape(str(window.get('end')))}.</p>",
        _table(rows),
        _violations(report.get("violations", [])),
    ]
    for feature in drifted:
        parts.append(f"<h2>{escape(feature['name'])}</h2>")
        parts.append(bar_chart(feature))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>test</th><th>statistic</th>"
        "<th>p-value</th><th>completeness</th><th>drifted</th></tr>"
    ]
    for f in rows:
        css = ' class="drift"' if f.get("drifted") else ""
        lines.append(
            f"<tr{css}><td>{escape(f['name'])}</td><td>{f['kind']}</td><td>{f['psi']:.4f}</td>"
            f"<td>{f['test']}</td><td>{f['statistic']:.4f}</td><td>{f['p_value']:.3g}</td>"
            f"<td>{f['completeness']:.3f}</td><td>{'yes' if f.get('drifted') else 'no'}</td></tr>"
        )
    lines.append("</table>")
    return "\n".join(lines)


def _violations(violations: list[dict[str, str]]) -> str:
    if not violations:
        return "<p>No violations.</p>"
    items = "".join(
        f"<li><code>{escape(v['feature_name'])}</code> {escape(v['constraint_check_type'])}: "
        f"{escape(v['description'])}</li>"
        for v in violations
    )
    return f"<h2>Violations</h2><ul>{items}</ul>"


def bar_chart(feature: dict[str, Any]) -> str:
    """Grouped bars (baseline, window) per bin, as an inline ``<svg>`` element."""
    histogram = feature.get("histogram") or {}
    labels = [str(x) for x in histogram.get("labels", [])]
    series = [histogram.get("baseline", []), histogram.get("current", [])]
    if not labels:
        return "<p>(no distribution to plot)</p>"
    top = max([*series[0], *series[1], 1e-9])
    slot = (WIDTH - 2 * MARGIN) / len(labels)
    bar = slot * 0.4
    shapes = []
    for i, label in enumerate(labels):
        x0 = MARGIN + i * slot
        colours = (BASELINE_COLOUR, CURRENT_COLOUR)
        for j, (values, colour) in enumerate(zip(series, colours, strict=True)):
            value = float(values[i]) if i < len(values) else 0.0
            height = (HEIGHT - 2 * MARGIN) * value / top
            shapes.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{HEIGHT - MARGIN - height:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{escape(label)}: {value:.3f}</title></rect>"
            )
        shapes.append(
            f'<text x="{x0 + bar:.1f}" y="{HEIGHT - MARGIN + 14}" font-size="9" '
            f'text-anchor="middle">{escape(label[:14])}</text>'
        )
    legend = (
        f'<rect x="{MARGIN}" y="8" width="10" height="10" fill="{BASELINE_COLOUR}"/>'
        f'<text x="{MARGIN + 14}" y="17" font-size="11">baseline</text>'
        f'<rect x="{MARGIN + 90}" y="8" width="10" height="10" fill="{CURRENT_COLOUR}"/>'
        f'<text x="{MARGIN + 104}" y="17" font-size="11">window</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(feature["name"])}: baseline and window proportions">'
        f"{legend}{''.join(shapes)}</svg>"
    )
