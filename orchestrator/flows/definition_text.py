"""``pipeline definition``: the definition text an upsert would send, built without AWS.

A reviewer (or CI) wants to see what the pipeline will be before anything is upserted, and to
diff it against the last one; SageMaker's step cache also depends on the definition staying the
same for the same inputs. So the text is built only from files: the environment, the stack
outputs file (``terraform output -json``) and a local copy of the dataset schema. No AWS call is
made, so the two inputs that upsert looks up are taken as given:

- the schema: upsert reads ``dataset.schema`` from S3; here ``--schema FILE`` is that file;
- the image: upsert pins ``<repository>@sha256:<digest>`` after asking ECR. ``--image`` with a
  digest gives that exact reference; a tag (or none: this commit's) gives ``<repository>:<tag>``
  and a note on stderr that upsert would pin its digest instead.

A local environment's definition is built the way ``run`` builds it (its data staged into the
local store, content-addressed), which makes no AWS call either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from ml_containers.schema import DatasetSchema, SchemaError, parse_schema

from orchestrator.errors import UserError
from orchestrator.flows.pipeline import Dataset, build_for
from orchestrator.images.reference import Repository, requested_image
from orchestrator.images.source import source_tag
from orchestrator.infra.stack import stack_outputs
from orchestrator.pipeline import PipelineDefinition
from orchestrator.settings.environment import EnvironmentConfig
from orchestrator.settings.stack_outputs import StackOutputs

Note = Callable[[str], None]


@dataclass(frozen=True)
class OfflineInputs:
    """What stands in for the AWS lookups of an upsert."""

    outputs_file: Path | None
    schema_file: Path | None
    image: str | None


def aws_definition(
    config: EnvironmentConfig, inputs: OfflineInputs, note: Note
) -> PipelineDefinition:
    """The definition of an aws environment from files alone (see the module docstring)."""
    if inputs.outputs_file is None:
        raise UserError(
            f"printing {config.name}'s definition without calling AWS needs its stack outputs: "
            f"pass --stack-outputs FILE (write it with `orchestrator infra output --env "
            f"{config.name} > FILE`)"
        )
    if inputs.schema_file is None:
        raise UserError(
            f"upsert reads the dataset schema from {config.dataset.schema}; offline, pass a "
            "local copy of it with --schema FILE"
        )
    outputs = stack_outputs(config, inputs.outputs_file)
    schema = read_schema_file(inputs.schema_file)
    uri = str(config.dataset.schema_file)
    dataset = Dataset(schema.name, config.dataset.data, config.dataset.data, uri, schema)
    return build_for(config, outputs, dataset, offline_image(outputs, inputs.image, note))


def offline_image(outputs: StackOutputs, requested: str | None, note: Note) -> str:
    """``<repository>@<digest>`` when the digest is given, else ``<repository>:<tag>``."""
    if not outputs.ecr_repository_url:
        raise UserError(
            "the stack outputs have no ecr_repository_url: apply the stack (its registry module "
            "creates the repository) before building the pipeline's definition"
        )
    repository = Repository.parse(outputs.ecr_repository_url)
    wanted = requested_image(requested, repository) if requested else None
    if wanted is not None and wanted.digest is not None:
        return repository.pinned(wanted.digest)
    tag = wanted.tag if wanted is not None and wanted.tag else source_tag()
    note(
        f"image {repository.tagged(str(tag))} is not resolved to a digest (no AWS call); "
        "`pipeline upsert` pins the digest ECR holds for it. Pass --image sha256:... for the "
        "exact text"
    )
    return repository.tagged(str(tag))


def read_schema_file(path: Path) -> DatasetSchema:
    """A local dataset schema file (YAML or JSON), validated; exit 2 naming what is wrong."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise UserError(f"--schema {path} does not exist; pass the dataset schema file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"--schema {path} is not readable YAML/JSON: {exc}") from None
    try:
        return parse_schema(data, str(path))
    except SchemaError as exc:
        raise UserError(str(exc)) from None
