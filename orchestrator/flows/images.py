"""Image flows: build this checkout's image, push it to the environment's repository.

``build`` needs no AWS and no stack; ``push`` reads the repository from the stack outputs, logs
the engine in with ECR's GetAuthorizationToken and hands over to :mod:`orchestrator.images.push`.
Both tag with this checkout's commit (``<sha>``, ``<sha>-dirty``), and both refuse a dirty tag
for staging and prod, whose images must be rebuildable from history.
"""

from __future__ import annotations

import boto3

from orchestrator.backends.aws.clients import client_config, connect
from orchestrator.backends.aws.ecr import registry_login
from orchestrator.backends.aws.images import repository_images
from orchestrator.backends.base import Progress
from orchestrator.backends.select import StackSource
from orchestrator.errors import UserError
from orchestrator.images.build import BuiltImage, build_image, variant_tag
from orchestrator.images.engine import EngineName, find_engine
from orchestrator.images.push import PushedImage, push_image
from orchestrator.images.reference import Repository
from orchestrator.images.source import refuse_dirty, source_tag
from orchestrator.infra.stack import require_aws, stack_outputs
from orchestrator.settings.environment import EnvironmentConfig


def build(
    config: EnvironmentConfig,
    engine_name: EngineName | None,
    base_image: str | None,
    progress: Progress,
    variant: str = "cpu",
) -> BuiltImage:
    """Build ``containers/`` as ``ml-containers:<commit tag>`` (``-gpu`` for that variant)."""
    tag = variant_tag(source_tag(), variant)
    refuse_dirty(tag, config.name, "image build")
    engine = find_engine(engine_name)
    progress(f"building ml-containers:{tag} ({variant} variant) with {engine.name}")
    return build_image(engine, tag, base_image=base_image, variant=variant, progress=progress)


def push(
    config: EnvironmentConfig,
    stack: StackSource,
    engine_name: EngineName | None,
    tag: str | None,
    progress: Progress,
    variant: str = "cpu",
) -> PushedImage:
    """Push the local build of ``tag`` (default: this commit's ``variant`` build) to the stack's
    repository."""
    require_aws(config, "image push")
    tag = tag or variant_tag(source_tag(), variant)
    refuse_dirty(tag, config.name, "image push")
    engine = find_engine(engine_name)
    outputs = stack_outputs(config, stack.outputs_file, stack.module_dir, progress=progress)
    if not outputs.ecr_repository_url:
        raise UserError(
            "the stack outputs have no ecr_repository_url: apply the stack first "
            f"(`orchestrator infra apply --env {config.name}`)"
        )
    repository = Repository.parse(outputs.ecr_repository_url)
    session = boto3.Session()
    connect(outputs.region, session=session)  # missing credentials or region: exit 2, here
    ecr = session.client("ecr", region_name=outputs.region, config=client_config())
    login = registry_login(ecr)
    images = repository_images(ecr, login)(repository)
    return push_image(engine, tag, repository, images, login, progress)
