"""The ``terraform.dr`` section of an aws environment file: cross-region replication, Object Lock
on the artifacts bucket and AWS Backup of the Terraform state (docs/dr.md).

Validated with the root module's rules (terraform/variables.tf: ``replication``,
``object_lock``, ``backup``, ``noncurrent_version_retention_days``) so a bad value stops when
the file is read, naming the key. Every part is off unless the file turns it on; prod's file
turns on replication and Object Lock.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from orchestrator.settings.strict import StrictModel

# docs/dr.md, "Recovery window": `orchestrator data restore` promises any point in time of the
# last RECOVERY_WINDOW_DAYS days in every environment, so no environment may expire noncurrent
# object versions sooner. terraform/variables.tf validates the same number.
RECOVERY_WINDOW_DAYS = 7
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ReplicatedBucket = Literal["data", "artifacts"]


def _both_buckets() -> list[ReplicatedBucket]:
    return ["data", "artifacts"]


class ReplicationSettings(StrictModel):
    """Cross-region replication of the data and artifacts buckets to replica buckets (and a key)
    in another region."""

    enabled: bool = False
    region: str | None = Field(None, description="The replica region; not the stack's region.")
    buckets: list[ReplicatedBucket] = Field(default_factory=_both_buckets, min_length=1)
    time_control: bool = Field(
        False, description="S3 Replication Time Control: 15-minute SLA, extra cost per GB."
    )

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and not AWS_REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region code such as eu-central-1")
        return value

    @field_validator("buckets")
    @classmethod
    def _distinct(cls, value: list[ReplicatedBucket]) -> list[ReplicatedBucket]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} repeats a bucket; list data and/or artifacts once each")
        return value


class ObjectLockSettings(StrictModel):
    """Object Lock, governance mode, on the artifacts bucket: one-way (never disabled again)."""

    enabled: bool = False
    retention_days: int = Field(30, ge=1, le=36500, description="Default retention per version.")


class BackupSettings(StrictModel):
    """AWS Backup of the Terraform state bucket."""

    enabled: bool = False
    schedule: str = Field("cron(0 3 * * ? *)", pattern=r"^cron\([^)]+\)$")
    retention_days: int = Field(35, ge=1, description="Days a recovery point is kept.")
    state_bucket_name: str | None = Field(
        None, description="Default: orchestrator bootstrap's <project>-<env>-tfstate-<account>."
    )

    @field_validator("state_bucket_name")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and not BUCKET_NAME.match(value):
            raise ValueError(f"{value!r} is not an S3 bucket name")
        return value


class DisasterRecoverySettings(StrictModel):
    replication: ReplicationSettings = ReplicationSettings()
    object_lock: ObjectLockSettings = ObjectLockSettings()
    backup: BackupSettings = BackupSettings()

    def problems(self, region: str, force_destroy: bool, noncurrent_version_days: int) -> list[str]:
        """The rules that span sections (the root module's cross-variable validations)."""
        found = []
        replication = self.replication
        if replication.enabled and replication.region is None:
            found.append(
                "terraform.dr.replication.region: name the replica region (e.g. eu-central-1) "
                "when replication is enabled"
            )
        if replication.enabled and replication.region == region:
            found.append(
                f"terraform.dr.replication.region: {region} is the stack's own region; a replica "
                "there does not survive the loss of the region, name another"
            )
        if self.object_lock.enabled and force_destroy:
            found.append(
                "terraform.dr.object_lock: cannot be enabled with terraform.safety.force_destroy "
                "(a destroy cannot delete locked versions without bypassing governance mode)"
            )
        if noncurrent_version_days < RECOVERY_WINDOW_DAYS:
            found.append(
                f"terraform.retention.noncurrent_version_days: {noncurrent_version_days} is "
                f"shorter than the {RECOVERY_WINDOW_DAYS}-day recovery window `orchestrator data "
                "restore` promises (docs/dr.md); versions expired sooner could not be restored"
            )
        return found
