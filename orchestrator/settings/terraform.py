"""The Terraform root module's settings (the ``terraform:`` section of an aws environment file).

Validated here with the same rules the root module's variable blocks enforce (CIDR sizes,
CloudWatch retention values, prod's safety floor), so a bad value fails when the file is read
with the key to fix, not halfway through ``terraform plan``. ``orchestrator render`` turns the
model into ``<env>.tfvars.json``.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field, field_validator

from orchestrator.settings.disaster_recovery import DisasterRecoverySettings
from orchestrator.settings.strict import StrictModel

# CloudWatch Logs accepts only these retention periods (the root module validates the same list).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)  # fmt: skip
TERRAFORM_ENVIRONMENTS = ("dev", "staging", "prod")
TERRAFORM_PROJECT = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")


def _all_match(values: list[str], pattern: str, what: str) -> list[str]:
    """``values`` when each matches ``pattern``; else one error listing those that do not."""
    bad = [value for value in values if not re.match(pattern, value)]
    if bad:
        raise ValueError(f"{bad} are not {what}")
    return values


class NetworkSettings(StrictModel):
    """The VPC: its CIDR and the zones of its private subnets (one each, pinned so subnets never
    move when AWS adds a zone)."""

    vpc_cidr: str = Field(description="IPv4 CIDR, /16 to /24, e.g. 10.10.0.0/16.")
    availability_zones: list[str] = Field(min_length=2, description="At least two, distinct.")

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not an IPv4 CIDR block ({exc}); write e.g. 10.10.0.0/16"
            ) from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value!r}: the prefix length must be /16 to /24")
        return value

    @field_validator("availability_zones")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"{value} repeats a zone; list each zone once")
        return value


class RetentionSettings(StrictModel):
    """How long logs, old object versions and images are kept."""

    log_days: int = Field(description="CloudWatch log groups; prod needs at least 365.")
    access_log_days: int = Field(ge=1, description="S3 server access logs.")
    noncurrent_version_days: int = Field(ge=1, description="Overwritten/deleted S3 versions.")
    ecr_images: int = Field(ge=1, description="Images the ECR lifecycle policy keeps.")

    @field_validator("log_days")
    @classmethod
    def _cloudwatch_value(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; use one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
            )
        return value


class AlarmThresholds(StrictModel):
    """Endpoint alarms (they also roll a bad deployment back)."""

    endpoint_5xx_rate_percent: float = Field(gt=0, le=100)
    endpoint_4xx_rate_percent: float = Field(gt=0, le=100)
    model_latency_p99_ms: float = Field(gt=0)
    cpu_utilization_percent: float = Field(gt=0, le=100)
    memory_utilization_percent: float = Field(gt=0, le=100)


class MonitoringSettings(StrictModel):
    alarm_thresholds: AlarmThresholds
    alert_emails: list[str] = Field(default_factory=list, description="Each confirms by mail.")
    monthly_budget_usd: float = Field(gt=0, description="Budget for resources tagged Project.")

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return _all_match(
            value, r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "e-mail addresses such as ml-oncall@example.com"
        )


class SafetySettings(StrictModel):
    """Switches that decide what a `terraform destroy` may take with it."""

    force_destroy: bool = Field(description="Delete non-empty buckets on destroy; never in prod.")
    kms_deletion_window_days: int = Field(ge=7, le=30)


class AccessSettings(StrictModel):
    """Who runs the orchestrator (CI) and an optional permissions boundary.

    The data and artifacts key policies grant key use only to the principals they name (the
    stack's SageMaker roles and ``orchestrator_principal_arns``; IAM policies cannot add key use,
    see terraform/modules/kms). An aws environment therefore needs at least one principal, and
    every role in ``orchestrator_role_names`` (which gets the orchestrator policies) must be
    among them, or it would hold the policies but be refused by KMS."""

    orchestrator_principal_arns: list[str] = Field(default_factory=list)
    orchestrator_role_names: list[str] = Field(default_factory=list)
    # The next environment's CI role(s), which may assume this stack's promotion reader role
    # (orchestrator promote; terraform/modules/iam/promotion.tf).
    promotion_reader_principal_arns: list[str] = Field(default_factory=list)
    permissions_boundary_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$"
    )

    @field_validator("orchestrator_principal_arns", "promotion_reader_principal_arns")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        return _all_match(
            value,
            r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$",
            "IAM role or user ARNs (arn:aws:iam::123456789012:role/ci-deployer)",
        )

    @field_validator("orchestrator_role_names")
    @classmethod
    def _role_names(cls, value: list[str]) -> list[str]:
        return _all_match(value, r"^[\w+=,.@-]{1,64}$", "IAM role names (names, not ARNs)")


class AccountSettings(StrictModel):
    """What an AWS account holds once, whichever environments share it."""

    create_autoscaling_service_linked_role: bool | None = Field(
        None,
        description=(
            "Create the account's endpoint-autoscaling service-linked role in this stack. "
            "Unset: the first of dev, staging, prod (in that order) of this account_id in the "
            "environments folder creates it, so one shared account gets exactly one."
        ),
    )


class TerraformSettings(StrictModel):
    """Everything the Terraform root module needs beyond project, environment and region; the
    renderer (``orchestrator render``) turns it into ``<env>.tfvars.json``."""

    network: NetworkSettings
    retention: RetentionSettings
    monitoring: MonitoringSettings
    safety: SafetySettings
    access: AccessSettings = AccessSettings()
    account: AccountSettings = AccountSettings()
    dr: DisasterRecoverySettings = DisasterRecoverySettings()
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags on everything.")

    def check_environment(self, name: str, project: str, region: str) -> None:
        """The rules that span the file: names Terraform accepts, zones in the region, prod's
        safety floor. Raised as ValueError so the message lands in the file's error paragraph."""
        problems = []
        if name not in TERRAFORM_ENVIRONMENTS:
            problems.append(
                f"name: the Terraform stack exists for {', '.join(TERRAFORM_ENVIRONMENTS)} only, "
                f"not {name!r}"
            )
        if not TERRAFORM_PROJECT.match(project):
            problems.append(
                f"project: {project!r} must be 3-20 lowercase letters, digits or hyphens, not "
                "ending with a hyphen (it becomes part of S3 bucket names)"
            )
        foreign = [z for z in self.network.availability_zones if not z.startswith(region)]
        if foreign:
            problems.append(
                f"terraform.network.availability_zones: {foreign} are not in region {region} "
                f"(write {region}a, {region}b, ...)"
            )
        if name == "prod" and self.safety.force_destroy:
            problems.append("terraform.safety.force_destroy: must be false in prod")
        if name == "prod" and self.retention.log_days < 365:
            problems.append("terraform.retention.log_days: prod keeps logs at least 365 days")
        problems.extend(self._access_problems())
        problems.extend(
            self.dr.problems(
                region, self.safety.force_destroy, self.retention.noncurrent_version_days
            )
        )
        if problems:
            raise ValueError("; ".join(problems))

    def _access_problems(self) -> list[str]:
        access = self.access
        problems = []
        if not access.orchestrator_principal_arns:
            problems.append(
                "terraform.access.orchestrator_principal_arns: name at least one IAM role or user "
                "that runs the orchestrator (CI or an operator, e.g. "
                "arn:aws:iam::123456789012:role/ci-deployer); the data and artifacts key policies "
                "grant key use only to the principals they name, so with none nobody could upload "
                "data to the encrypted data bucket or run the orchestrator"
            )
        named = {arn.rsplit("/", 1)[-1] for arn in access.orchestrator_principal_arns}
        unnamed = [role for role in access.orchestrator_role_names if role not in named]
        if unnamed:
            problems.append(
                f"terraform.access.orchestrator_role_names: {unnamed} get the orchestrator "
                "policies but are not in orchestrator_principal_arns, so the key policies would "
                "refuse them; add their role ARNs there"
            )
        return problems
