"""The typed stack-outputs contract: what the Terraform stack hands to the orchestrator.

Everything downstream of `terraform apply` (the pipeline definition, the registry, deployments)
reads the stack through this one model, so a renamed or missing Terraform output fails here with
a message naming the output, not later as a ``KeyError`` or a half-built AWS request. The input is
exactly what ``terraform output -json`` prints: ``{"name": {"value": ..., "type": ...,
"sensitive": bool}}``.

The local environment has no Terraform stack; :meth:`StackOutputs.local` builds the equivalent
outputs with ``local-...`` bucket names and placeholder ARNs in account ``000000000000``, and
empty subnet/security-group lists (the pipeline builder then leaves VPC settings out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

LOCAL_ACCOUNT_ID = "000000000000"
LOCAL_REGION = "us-east-1"


class StackOutputsError(ValueError):
    """The stack outputs are missing, unreadable or mistyped; the message says what to fix."""


class StackOutputs(BaseModel):
    """The Terraform root module's outputs, one field per output (same names)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    region: str = Field(min_length=1)
    account_id: str = Field(pattern=r"^\d{12}$")
    environment: str = Field(min_length=1)
    project: str = Field(min_length=1)
    data_bucket: str = Field(min_length=3)
    artifacts_bucket: str = Field(min_length=3)
    data_kms_key_arn: str = Field(min_length=1)
    artifacts_kms_key_arn: str = Field(min_length=1)
    sagemaker_execution_role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
    # The role models run as (endpoint, batch transform). Optional: outputs saved before the
    # stack split the jobs and serving roles lack it, and until that stack is re-applied the
    # execution role is the one that serves, so it is the fallback (filled in below).
    serving_role_arn: str = Field("", pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
    pipeline_role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
    orchestrator_policy_arn: str = Field(min_length=1)
    model_package_group_name: str = Field(min_length=1)
    pipeline_name: str = Field(min_length=1)
    endpoint_name: str = Field(min_length=1)
    # What a local environment may lack: no VPC, no access-log bucket, no ECR, no alerting.
    private_subnet_ids: list[str] = Field(default_factory=list)
    sagemaker_security_group_ids: list[str] = Field(default_factory=list)
    vpc_id: str | None = None
    access_logs_bucket: str | None = None
    ecr_repository_url: str | None = None
    alerts_topic_arn: str | None = None
    log_group_names: dict[str, str] = Field(default_factory=dict)
    # The endpoint's CloudWatch alarms; a blue/green deployment rolls back when one fires.
    alarm_names: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _serving_role_fallback(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("serving_role_arn"):
            return {**data, "serving_role_arn": data.get("sagemaker_execution_role_arn")}
        return data

    @model_validator(mode="after")
    def _vpc_settings_complete(self) -> StackOutputs:
        # A SageMaker VpcConfig needs both lists; one without the other is a broken stack.
        if bool(self.private_subnet_ids) != bool(self.sagemaker_security_group_ids):
            raise ValueError(
                "private_subnet_ids and sagemaker_security_group_ids must both be empty (no VPC) "
                "or both be non-empty; check the network module's outputs"
            )
        return self

    # -- derived views -------------------------------------------------------------------------
    @property
    def has_vpc(self) -> bool:
        """Whether jobs run inside the stack's private subnets (false for the local stack)."""
        return bool(self.private_subnet_ids)

    @property
    def is_local(self) -> bool:
        return self.account_id == LOCAL_ACCOUNT_ID

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def local(
        cls,
        project: str = "mlops",
        environment: str = "local",
        region: str = LOCAL_REGION,
    ) -> StackOutputs:
        """The outputs of the stack-less local environment (placeholders where AWS has ARNs)."""
        prefix = f"{project}-{environment}"
        account = LOCAL_ACCOUNT_ID
        return cls(
            region=region,
            account_id=account,
            environment=environment,
            project=project,
            data_bucket=f"local-{prefix}-data",
            artifacts_bucket=f"local-{prefix}-artifacts",
            access_logs_bucket=f"local-{prefix}-access-logs",
            data_kms_key_arn=f"arn:aws:kms:{region}:{account}:key/local-{prefix}-data",
            artifacts_kms_key_arn=f"arn:aws:kms:{region}:{account}:key/local-{prefix}-artifacts",
            sagemaker_execution_role_arn=f"arn:aws:iam::{account}:role/{prefix}-sagemaker-execution",
            serving_role_arn=f"arn:aws:iam::{account}:role/{prefix}-sagemaker-serving",
            pipeline_role_arn=f"arn:aws:iam::{account}:role/{prefix}-pipeline",
            orchestrator_policy_arn=f"arn:aws:iam::{account}:policy/{prefix}-orchestrator",
            model_package_group_name=f"{prefix}-models",
            ecr_repository_url=f"{account}.dkr.ecr.{region}.amazonaws.com/{prefix}",
            pipeline_name=f"{prefix}-pipeline",
            endpoint_name=f"{prefix}-endpoint",
        )

    @classmethod
    def from_terraform_json(cls, data: Any, source: str = "terraform output -json") -> StackOutputs:
        """Read the mapping ``terraform output -json`` prints; errors name each bad output."""
        if not isinstance(data, dict):
            raise StackOutputsError(
                f'{source}: expected a JSON object of outputs ({{"name": {{"value": ...}}}}), '
                f"got {type(data).__name__}; pass the file that `terraform output -json` writes"
            )
        values: dict[str, Any] = {}
        malformed = []
        for name, entry in data.items():
            if isinstance(entry, dict) and "value" in entry:
                values[name] = entry["value"]
            else:
                malformed.append(name)
        if malformed:
            raise StackOutputsError(
                f"{source}: outputs {sorted(malformed)} have no 'value' key; this is not "
                "`terraform output -json` output (use -json, not plain `terraform output`)"
            )
        missing = sorted(
            name
            for name, field in cls.model_fields.items()
            if field.is_required() and name not in values
        )
        if missing:
            raise StackOutputsError(
                f"{source} lacks the stack outputs {missing}; declare them as `output` blocks in "
                "the root Terraform module and run `orchestrator infra apply`, or pass the "
                "--stack-outputs file of the right environment"
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise StackOutputsError(f"{source}: {_describe(exc)}") from None

    @classmethod
    def from_file(cls, path: Path | str) -> StackOutputs:
        """Read a saved ``terraform output -json`` file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise StackOutputsError(
                f"stack outputs file {path} does not exist; write it with "
                f"`terraform output -json > {path.name}` or `orchestrator infra output`"
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StackOutputsError(
                f"cannot read stack outputs file {path}: {exc}; it must be the JSON that "
                "`terraform output -json` prints"
            ) from None
        return cls.from_terraform_json(data, source=str(path))

    def to_terraform_json(self) -> dict[str, dict[str, Any]]:
        """The same outputs in ``terraform output -json`` shape (for fixtures and round trips)."""
        result: dict[str, dict[str, Any]] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, list):
                tf_type: Any = ["list", "string"]
            elif isinstance(value, dict):
                tf_type = ["map", "string"]
            else:
                tf_type = "string"
            result[name] = {"sensitive": False, "type": tf_type, "value": value}
        return result


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "(all outputs)"
        message = err["msg"].removeprefix("Value error, ")
        problems.append(f"output {name!r}: {message} (got {err.get('input')!r})")
    return (
        "; ".join(problems)
        + "; fix the output's value or type in the root Terraform module and re-apply"
    )
