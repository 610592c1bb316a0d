"""``orchestrator recover``'s inputs (docs/dr.md, "Restore into another region or account"): the
environment file re-pointed at another region, and the prefix maps from the backup's source
stack to that region's copies.

The environment for region R is the environment file with ``--set region=R`` and, unless the
operator sets them, the availability zones rewritten to R's (``eu-west-1b`` -> ``R`` + ``b``)
and cross-region replication turned off (the replica region *is* R now; replicating back into
the lost region is for later). It is checked like the file, so zones that do not fit R are
refused by name (exit 2).
"""

from __future__ import annotations

from orchestrator.dr.manifest import Source
from orchestrator.dr.mapping import PrefixMap
from orchestrator.dr.registry_restore import Maps
from orchestrator.errors import UserError
from orchestrator.settings.disaster_recovery import AWS_REGION
from orchestrator.settings.environment import EnvironmentConfig, load_environment
from orchestrator.settings.overrides import EnvironmentSource

ZONES = "terraform.network.availability_zones"
REPLICATION = "terraform.dr.replication"


def check_region(config: EnvironmentConfig, region: str) -> None:
    """Refuse, by name, what cannot be recovered into ``region``."""
    if config.backend != "aws":
        raise UserError(
            f"`orchestrator recover` re-creates an aws environment in another region; "
            f"{config.name} uses the {config.backend} backend and has no region (restore a "
            f"local backup with `orchestrator restore --env {config.name} --from DIR`)"
        )
    if not AWS_REGION.match(region):
        raise UserError(
            f"--region {region!r} is not an AWS region code; write e.g. --region eu-central-1"
        )
    if region == config.region:
        raise UserError(
            f"--region {region} is {config.name}'s own region; recover into another region "
            f"(restore in place with `orchestrator restore --env {config.name} --from BACKUP`)"
        )


def primary_source(source: EnvironmentSource | None) -> EnvironmentSource | None:
    """The environment file as the primary region has it: the operator's ``--set`` flags but
    R's zones (checked against R, not the primary's region, in :func:`recovery_environment`).
    ``--set region=`` is refused: ``--region`` names the region."""
    if source is None:
        return None
    keys = [text.partition("=")[0].strip() for text in source.overrides]
    if "region" in keys:
        raise UserError("recover takes the region from --region; drop --set region=...")
    kept = tuple(t for t, k in zip(source.overrides, keys, strict=True) if k != ZONES)
    return EnvironmentSource(source.directory, kept)


def recovery_overrides(config: EnvironmentConfig, region: str, given: tuple[str, ...]) -> list[str]:
    """The ``--set`` flags that make ``config`` region ``region``'s (the operator's own win)."""
    keys = {text.partition("=")[0].strip() for text in given}
    found = [f"region={region}"]
    terraform = config.terraform
    if terraform is not None and ZONES not in keys:
        zones = [region + zone.removeprefix(config.region) for zone in
                 terraform.network.availability_zones]  # fmt: skip
        found.append(f"{ZONES}=[{', '.join(zones)}]")
    replication = terraform.dr.replication if terraform is not None else None
    if (
        replication is not None
        and replication.enabled
        and not any(k.startswith(REPLICATION) for k in keys)
    ):
        found.append(f"{REPLICATION}.enabled=false")
    return found


def recovery_environment(
    config: EnvironmentConfig, source: EnvironmentSource | None, region: str
) -> tuple[EnvironmentConfig, list[str]]:
    """(``config`` for ``region``, the ``--set`` flags that made it, to repeat in commands)."""
    given = source.overrides if source is not None else ()
    added = recovery_overrides(config, region, given)
    where = EnvironmentSource(source.directory if source else None, (*given, *added))
    return load_environment(config.name, where), added


def default_maps(
    config: EnvironmentConfig, source: Source, region: str, artifacts: PrefixMap,
    images: PrefixMap,
) -> Maps:  # fmt: skip
    """The maps given, else the artifacts map from ``terraform.dr.replication`` (when it
    replicates into ``region``); refused by name when neither is there."""
    replication = config.terraform.dr.replication if config.terraform is not None else None
    if (
        not artifacts
        and replication is not None
        and replication.enabled
        and replication.region == region
    ):
        prefix = f"{source.project}-{config.name}"
        buckets = {"data": source.data_bucket, "artifacts": source.artifacts_bucket}
        artifacts = tuple(
            (f"s3://{buckets[b]}/", f"s3://{prefix}-{b}-replica-{source.account_id}/")
            for b in replication.buckets
        )
    missing = []
    if not artifacts:
        missing.append(
            f"--artifacts-map s3://{source.artifacts_bucket}/=s3://<its copy in {region}>/ (and "
            f"one for s3://{source.data_bucket}/): {config.name} replicates nothing into "
            f"{region} (terraform.dr.replication)"
        )
    if not images:
        missing.append(
            f"--images-map {source.account_id}.dkr.ecr.{source.region}.amazonaws.com/="
            f"<the repository in {region}>/ (the stack does not replicate images: ECR "
            "replication, or `orchestrator image push` there)"
        )
    if missing:
        raise UserError("recover needs " + "; and ".join(missing))
    return Maps(artifacts=artifacts, images=images)


def dataset_overrides(config: EnvironmentConfig, maps: Maps) -> list[str]:
    """``--set dataset.data=/schema=`` pointing the environment's dataset at its mapped copy."""
    from orchestrator.dr.mapping import apply

    found = []
    for key, value in (("data", config.dataset.data), ("schema", config.dataset.schema_file)):
        if value and str(value).startswith("s3://") and apply(str(value), maps.artifacts) != value:
            found.append(f"dataset.{key}={apply(str(value), maps.artifacts)}")
    return found
