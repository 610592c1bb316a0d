"""The names bootstrap creates for an environment, derived only from the environment file.

- bucket ``<project>-<env>-tfstate-<account>``: bucket names are global in a partition, so the
  account id makes the name one nobody else is likely to hold, and the environment name (unique
  per account, since each environment names one region) makes it one per state; the bucket is
  created in the environment's region;
- state key ``<project>/<env>/terraform.tfstate``;
- key alias ``alias/<project>-<env>-tfstate``.

The bucket name is checked against S3's naming rules for general purpose buckets (S3 user
guide, "General purpose bucket naming rules"): 3-63 characters of lowercase letters, digits,
dots and hyphens, beginning and ending with a letter or digit, no two adjacent dots, not an IP
address, and none of the reserved prefixes and suffixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.bootstrap.errors import BootstrapInputError
from orchestrator.settings.environment import EnvironmentConfig

_ALLOWED = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@dataclass(frozen=True)
class StateNames:
    """Where an environment's Terraform state lives."""

    environment: str
    project: str
    account_id: str
    region: str
    bucket: str
    key: str
    alias: str


def bucket_name_problems(name: str) -> list[str]:
    """Every S3 naming rule ``name`` breaks (empty when it is a valid bucket name)."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"it has {len(name)} characters, S3 allows 3 to 63")
    if not _ALLOWED.match(name):
        problems.append(
            "it may hold only lowercase letters, digits, dots and hyphens, and must begin and "
            "end with a letter or digit"
        )
    if ".." in name:
        problems.append("it has two adjacent dots")
    if _IP_ADDRESS.match(name):
        problems.append("it is formatted as an IP address")
    problems += [
        f"it begins with the reserved {p!r}" for p in RESERVED_PREFIXES if name.startswith(p)
    ]
    problems += [f"it ends with the reserved {s!r}" for s in RESERVED_SUFFIXES if name.endswith(s)]
    return problems


def state_names(config: EnvironmentConfig) -> StateNames:
    """The names of ``config``'s state; :class:`BootstrapInputError` when the environment has no
    account id or the bucket name would break S3's rules."""
    if config.account_id is None:  # the environment validation requires it of aws environments
        raise BootstrapInputError(
            f"environment {config.name} names no account_id; add the 12-digit account id to "
            f"environments/{config.name}.yaml"
        )
    prefix = f"{config.project}-{config.name}"
    bucket = f"{prefix}-tfstate-{config.account_id}"
    problems = bucket_name_problems(bucket)
    if problems:
        raise BootstrapInputError(
            f"the state bucket name {bucket!r} (<project>-<env>-tfstate-<account>) is not a valid "
            f"S3 bucket name: {'; '.join(problems)}; shorten or rename project ({config.project}) "
            f"or the environment ({config.name}) in environments/{config.name}.yaml"
        )
    return StateNames(
        environment=config.name,
        project=config.project,
        account_id=config.account_id,
        region=config.region,
        bucket=bucket,
        key=f"{config.project}/{config.name}/terraform.tfstate",
        alias=f"alias/{prefix}-tfstate",
    )
