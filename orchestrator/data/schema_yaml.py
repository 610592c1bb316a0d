"""Writing a schema draft as YAML a person reviews: a comment on every decision the drafter
made, keys in the order the schema documents them, values quoted only where YAML needs it."""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING

import yaml
from ml_containers.schema import DEFAULT_GATE, METRICS

if TYPE_CHECKING:
    from orchestrator.data.schema_rules import FeatureDraft, SchemaDraft

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_COMMENT_WIDTH = 98


def render_yaml(draft: SchemaDraft) -> str:
    """The draft as YAML with a comment on every decision, for a person to review."""
    lines = _header(draft)
    if draft.classes is not None:
        lines += [
            "  # label order: a class's position is its label id; for binary classification the",
            "  # second class is the positive one (AUC, precision, recall). Reorder if needed.",
            f"  classes: {_flow(draft.classes)}",
        ]
    if draft.id_columns:
        for name, why in draft.id_columns:
            lines += _comment(f"{name!r}: {why} -> ID column (remove it here to train on it)")
        lines.append(f"id_columns: {_flow([n for n, _ in draft.id_columns])}")
    lines += _features(draft) + _metric(draft)
    return "\n".join(lines) + "\n"


def _header(draft: SchemaDraft) -> list[str]:
    profile = draft.source
    if profile.sampled:
        scope = (
            f"a sample of {profile.rows} rows from {profile.file_bytes / 1e6:.0f} MB (blocks "
            "spread over the file); rare values may be missing from the categories and bounds"
        )
    else:
        scope = f"all {profile.rows} rows"
    if profile.malformed_rows:
        scope += f" ({profile.malformed_rows} malformed rows skipped)"
    return [
        f"# Draft dataset schema for {profile.path.name}, written by 'orchestrator schema infer'",
        f"# from {scope}. Review every line, then train with:",
        f"#   orchestrator run --env local --data {profile.path.name} --schema <this file>",
        "# Keys: problem_type and target say what to predict; id_columns are carried through to",
        "# batch output but never trained on; features are in schema order (the order a serving",
        "# request sends values); metric is the quality gate a model must pass to be registered.",
        "version: 1",
        f"name: {_scalar(draft.name)}",
        *_comment(draft.problem_note),
        f"problem_type: {draft.problem_type.value}",
        "target:",
        *_comment(draft.target_note, "  "),
        f"  name: {_scalar(draft.target)}",
    ]


def _features(draft: SchemaDraft) -> list[str]:
    lines = [
        "# min/max: the observed range widened by 10% of its width on each side and rounded",
        "# outward (never below 0 where the data is never negative), so new data slightly outside",
        "# still passes; rows outside are quarantined. Delete a bound to leave that side open.",
        "# nullable: true only where values were missing; set it to accept (and impute) them.",
        "features:",
    ]
    for feature in draft.features:
        lines += _feature_lines(feature)
    for name, why in draft.skipped:
        lines += _comment(f"left out: {name!r}: {why}")
    return lines


def _metric(draft: SchemaDraft) -> list[str]:
    gate_name, gate_threshold = DEFAULT_GATE[draft.problem_type]
    spec = METRICS[gate_name]
    alternatives = sorted(n for n, s in METRICS.items() if draft.problem_type in s.problem_types)
    direction = "at least" if spec.higher_is_better else "at most"
    return [
        "metric:",
        *_comment(
            f"the gate: a model is registered only if its test {gate_name} is {direction} the "
            f"threshold. Other metrics for {draft.problem_type.value}: "
            f"{', '.join(alternatives)} (an error metric such as rmse or log_loss gates as "
            "'at most').",
            "  ",
        ),
        f"  name: {gate_name}",
        f"  threshold: {gate_threshold}",
    ]


def _feature_lines(feature: FeatureDraft) -> list[str]:
    lines = [
        *_comment(feature.note, "  "),
        f"  - name: {_scalar(feature.name)}",
        f"    type: {feature.type}",
    ]
    if feature.minimum is not None:
        lines.append(f"    min: {number(feature.minimum)}")
    if feature.maximum is not None:
        lines.append(f"    max: {number(feature.maximum)}")
    if feature.categories is not None:
        lines.append(f"    categories: {_flow(feature.categories)}")
    lines.append(f"    nullable: {'true' if feature.nullable else 'false'}")
    return lines


def _comment(text: str, indent: str = "") -> list[str]:
    """A YAML comment wrapped to the width a reviewer reads without scrolling."""
    return textwrap.wrap(
        text, width=_COMMENT_WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   "
    )


def number(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly this string (quoted only when needed: values
    such as ``1.0``, ``yes`` or ``null`` would otherwise read back as numbers, booleans, None)."""
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else _escape(c) for c in escaped)
    return f'"{escaped}"'


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"
