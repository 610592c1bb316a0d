"""What identifies a dataset to the model registry and to an endpoint's clients.

Each dataset gets its own model package group, ``<stack group>-<dataset>``: a run on another
dataset (``run --data other.csv --schema other.schema.yaml``) must never become the
``latest-approved`` version of the environment's own dataset, or ``deploy`` would serve a model
that expects other columns. SageMaker's group names are 1-63 letters, digits and hyphens, so the
dataset name (free text in a schema) is folded to that alphabet here, once, for every backend.

The *serving signature* is a digest of what a client of an endpoint depends on: the problem
type, the feature columns in request order with their types and categories, and the target's
classes (the response). Bounds, descriptions, ID columns and the gate metric are left out: a
retrained model with a widened ``max`` still answers the same requests. Two packages with the
same signature are interchangeable behind an endpoint; ``deploy`` refuses to swap one for the
other otherwise unless told ``--replace-schema``.
"""

from __future__ import annotations

import hashlib
import json
import re

from ml_containers.schema import DatasetSchema

from orchestrator.errors import UserError

GROUP_NAME_LIMIT = 63  # CreateModelPackageGroup: ModelPackageGroupName, 1-63 characters
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def dataset_slug(dataset: str) -> str:
    """``Breast_Cancer v2`` -> ``breast-cancer-v2``: lower case, runs of other characters as
    one hyphen, no hyphen at either end."""
    return _NOT_ALLOWED.sub("-", dataset.lower()).strip("-")


def model_group_name(stack_group: str, dataset: str) -> str:
    """The model package group of ``dataset`` in the stack whose group output is
    ``stack_group`` (the IAM policies allow ``<stack_group>-*``)."""
    slug = dataset_slug(dataset)
    if not slug:
        raise UserError(
            f"dataset name {dataset!r} has no letters or digits, so it cannot name a model "
            "package group; give the schema a 'name' such as 'churn'"
        )
    name = f"{stack_group}-{slug}"
    if len(name) > GROUP_NAME_LIMIT:
        room = GROUP_NAME_LIMIT - len(stack_group) - 1
        raise UserError(
            f"model package group {name!r} is {len(name)} characters, over SageMaker's limit of "
            f"{GROUP_NAME_LIMIT}; shorten the schema's name {dataset!r} to at most {room} "
            "letters, digits and hyphens"
        )
    return name


def serving_signature(schema: DatasetSchema) -> str:
    """16 hex digits of SHA-256 over the request/response contract of ``schema``."""
    contract = {
        "problem_type": schema.problem_type.value,
        "features": [[c.name, c.type.value, c.categories or []] for c in schema.features],
        "classes": schema.classes,
    }
    canonical = json.dumps(contract, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
