"""``orchestrator schema infer``: draft a dataset schema from a CSV for a person to review.

The draft is YAML with a comment on every decision (why a column is an integer, a category, an
ID or left out; where the bounds came from; how the problem type was guessed), because the user
is expected to read it before training on it: the profile is :mod:`.profile`, the decisions
:mod:`.schema_rules`, the YAML :mod:`.schema_yaml`. The drafted text is validated with the schema
parser before it is returned, so a draft always loads; the tests also check it passes the
pre-flight row check on the data it came from.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from ml_containers.schema import DatasetSchema, ProblemType, SchemaError, parse_schema

from orchestrator.data.profile import profile_csv
from orchestrator.data.schema_rules import InferenceError, draft_schema
from orchestrator.data.schema_yaml import render_yaml

PROBLEM_TYPE_NAMES: dict[str, ProblemType] = {
    "binary": ProblemType.BINARY,
    "multiclass": ProblemType.MULTICLASS,
    "regression": ProblemType.REGRESSION,
    **{p.value: p for p in ProblemType},
}


def parse_problem_type(text: str) -> ProblemType:
    try:
        return PROBLEM_TYPE_NAMES[text.strip()]
    except KeyError:
        raise InferenceError(
            f"unknown problem type {text!r}; use binary, multiclass or regression (or the full "
            f"names {', '.join(p.value for p in ProblemType)})"
        ) from None


def infer_schema(
    data: Path, target: str | None = None, problem_type: str | None = None
) -> tuple[str, DatasetSchema]:
    """Profile ``data`` and return (commented YAML text, the schema it parses to)."""
    wanted = parse_problem_type(problem_type) if problem_type is not None else None
    draft = draft_schema(profile_csv(data), target, wanted)
    text = render_yaml(draft)
    try:
        schema = parse_schema(yaml.safe_load(text), f"the schema drafted from {data}")
    except SchemaError as exc:  # a bug in the drafting rules, not in the user's data
        raise RuntimeError(f"drafted an invalid schema: {exc}") from exc
    return text, schema


def write_draft(text: str, out: Path, force: bool = False) -> None:
    """Write the draft atomically; refuse to replace an existing file unless ``force``."""
    check_writable(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def check_writable(out: Path, force: bool) -> None:
    if out.is_dir():
        raise InferenceError(f"--out {out} is a directory; pass a file name such as my.schema.yaml")
    if out.exists() and not force:
        raise InferenceError(
            f"--out {out} already exists; pass --force to replace it, or choose another file"
        )
    if out.suffix not in (".yaml", ".yml"):
        raise InferenceError(f"--out {out}: the draft is YAML with comments; name it *.yaml")
