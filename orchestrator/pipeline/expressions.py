"""The definition's expression language: parameters, execution variables, step properties,
``Std:Join`` and ``Std:JsonGet``.

SageMaker resolves these at run time; the builder only writes them. Keeping their JSON encoding
in one module means the builder, the validators and the local runner agree on one grammar:

- ``{"Get": "Parameters.<Name>"}``: a pipeline parameter's value for this execution;
- ``{"Get": "Execution.<Variable>"}``: an execution variable (e.g. ``PipelineExecutionId``);
- ``{"Get": "Steps.<Step>.<property path>"}``: a property of an earlier step, where the path
  walks that step's Describe* response (``Outputs['test']`` selects a list item by name);
- ``{"Std:Join": {"On": sep, "Values": [...]}}``: string concatenation;
- ``{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.<Step>.PropertyFiles.<Name>"},
  "Path": "a.b.c"}}``: a value read from a JSON file a processing step wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Json = Any
"""A JSON value as the definition holds it (dict, list, str, int, float, bool, None)."""

EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "PipelineName",
    "PipelineArn",
    "StartDateTime",
    "CurrentDateTime",
    "TrainingJobName",
    "ProcessingJobName",
)
EXPRESSION_KEYS = ("Get", "Std:Join", "Std:JsonGet")


def parameter(name: str) -> dict[str, str]:
    return {"Get": f"Parameters.{name}"}


def execution(variable: str) -> dict[str, str]:
    if variable not in EXECUTION_VARIABLES:
        raise ValueError(f"unknown execution variable {variable!r}; one of {EXECUTION_VARIABLES}")
    return {"Get": f"Execution.{variable}"}


def step_property(step: str, path: str) -> dict[str, str]:
    return {"Get": f"Steps.{step}.{path}"}


def join(values: Iterable[Json], on: str = "") -> dict[str, Json]:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def s3_join(bucket: str, *parts: Json) -> dict[str, Json]:
    """An ``s3://bucket/part/...`` URI with run-time parts, encoded as the SDK does it."""
    return join(["s3:/", bucket, *parts], on="/")


def json_get(step: str, property_file: str, path: str) -> dict[str, Json]:
    return {
        "Std:JsonGet": {
            "PropertyFile": step_property(step, f"PropertyFiles.{property_file}"),
            "Path": path,
        }
    }


def as_text(expression: Json) -> dict[str, Json]:
    """Render any value as a string (a one-value ``Std:Join``), for string-only API fields."""
    return join([expression], on="")


def processing_output_uri(step: str, output_name: str) -> dict[str, str]:
    return step_property(step, f"ProcessingOutputConfig.Outputs['{output_name}'].S3Output.S3Uri")


def best_training_job_name(tuning_step: str) -> dict[str, str]:
    """The best training job of a tuning step (the SDK's ``get_top_model_s3_uri(top_k=0)``)."""
    return step_property(tuning_step, "TrainingJobSummaries[0].TrainingJobName")


def is_expression(value: Json) -> bool:
    """Whether ``value`` is one expression (a one-key dict with an expression key)."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in EXPRESSION_KEYS


@dataclass(frozen=True)
class Reference:
    """One ``Get`` found in a definition, with the JSON path where it occurs."""

    location: str
    target: str

    @property
    def namespace(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def step_name(self) -> str:
        parts = self.target.split(".", 2)
        return parts[1] if self.namespace == "Steps" and len(parts) > 1 else ""

    @property
    def step_path(self) -> str:
        parts = self.target.split(".", 2)
        return parts[2] if self.namespace == "Steps" and len(parts) == 3 else ""


def iter_references(value: Json, location: str = "") -> Iterator[Reference]:
    """Every ``Get`` inside ``value``, including those nested in Join and JsonGet."""
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            yield Reference(location, value["Get"])
            return
        for key, item in value.items():
            yield from iter_references(item, f"{location}.{key}" if location else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_references(item, f"{location}[{index}]")


@dataclass(frozen=True)
class Key:
    """``['name']`` in a property path: the list item whose ``...Name`` field is ``name`` (how
    the SDK addresses outputs, channels and metrics), or a map's entry."""

    name: str

    def __str__(self) -> str:
        return f"['{self.name}']"


PathToken = str | int | Key
"""A member name (``.Outputs``), a list index (``[0]``) or a named item (``['train']``)."""

_PATH_TOKEN = re.compile(r"""\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")


def parse_property_path(path: str) -> list[PathToken]:
    """Split ``A.B[0].C['x']`` into ``["A", "B", 0, "C", Key("x")]``.

    The one parser of a step property path (``Steps.<step>.<path>``): the validator walks
    botocore's shapes with its tokens and the local runner walks a step's properties with them,
    so a path one accepts the other can read. Raises ``ValueError`` naming the first character
    outside the grammar.
    """
    tokens: list[PathToken] = []
    position = 0
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if not match or (position == 0 and path.startswith(".")):
            raise ValueError(f"cannot parse property path {path!r} at character {position}")
        attribute, index, single, double = match.groups()
        if attribute is not None:
            if position > 0 and not match.group(0).startswith("."):
                raise ValueError(f"property path {path!r} needs a '.' before {attribute!r}")
            tokens.append(attribute)
        elif index is not None:
            tokens.append(int(index))
        else:
            tokens.append(Key(single if single is not None else double))
        position = match.end()
    if not tokens:
        raise ValueError("empty property path")
    return tokens


def render_property_path(tokens: Iterable[PathToken]) -> str:
    """The text of ``tokens`` (``A.B[0]['x']``), for messages naming how far a path got."""
    text = ""
    for token in tokens:
        if isinstance(token, str):
            text += f".{token}" if text else token
        else:
            text += str(token) if isinstance(token, Key) else f"[{token}]"
    return text
