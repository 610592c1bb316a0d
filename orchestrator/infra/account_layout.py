"""One account or many: what only one environment of an account may create.

dev, staging and prod may live in separate accounts or share one. Every name the stack creates
carries ``<project>-<environment>``, so names never collide; what cannot carry a name is an
account singleton. The endpoint-autoscaling service-linked role
(``AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint``) is one per account: "Only one
... can exist" and creating it again fails (IAM user guide, "Using service-linked roles"). So in
a shared account exactly one stack creates it; the others grant the orchestrator
``iam:CreateServiceLinkedRole`` instead (Application Auto Scaling creates it on first use).

Unless an environment file says otherwise, the first of dev, staging, prod (in that order) that
has the account id, among the environment files beside it, creates it. Switching layouts is then
only a matter of editing ``account_id``.
"""

from __future__ import annotations

from orchestrator.errors import ConfigError, UserError
from orchestrator.settings.environment import (
    EnvironmentConfig,
    load_environment_file,
)
from orchestrator.settings.terraform import TERRAFORM_ENVIRONMENTS


def account_peers(config: EnvironmentConfig) -> list[EnvironmentConfig]:
    """The aws environments of the same account in ``config``'s folder, ``config`` included,
    in the order dev, staging, prod."""
    if config.source is None:
        return [config]
    peers = []
    for name in TERRAFORM_ENVIRONMENTS:
        if name == config.name:
            peers.append(config)
            continue
        path = config.source.parent / f"{name}.yaml"
        if not path.is_file():
            continue
        try:
            other = load_environment_file(path, expected_name=name)
        except ConfigError as exc:
            raise UserError(
                f"rendering {config.name} reads {path} to see which environment of account "
                f"{config.account_id} creates the account's service-linked role, and it is "
                f"invalid: {exc}"
            ) from None
        if other.backend == "aws" and other.account_id == config.account_id:
            peers.append(other)
    return peers


def _explicit(config: EnvironmentConfig) -> bool | None:
    return (
        config.terraform.account.create_autoscaling_service_linked_role
        if config.terraform
        else None
    )


def creates_autoscaling_role(config: EnvironmentConfig) -> bool:
    """Whether ``config``'s stack creates the account's endpoint-autoscaling service-linked
    role; refused (exit 2) when two environments of one account would both create it."""
    peers = account_peers(config)
    chosen = [p.name for p in peers if _explicit(p)]
    if not chosen:
        undecided = [p.name for p in peers if _explicit(p) is None]
        chosen = undecided[:1]
    if len(chosen) > 1:
        raise UserError(
            f"environments {', '.join(chosen)} share account {config.account_id} and each sets "
            "terraform.account.create_autoscaling_service_linked_role: true, but an account "
            "holds one such role and the second apply would fail; keep it true in one of them "
            "(or remove the key everywhere: the first of dev, staging, prod then creates it)"
        )
    return config.name in chosen
