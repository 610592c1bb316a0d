"""The stack-outputs contract: reading `terraform output -json`, its errors, the local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.settings.stack_outputs import LOCAL_ACCOUNT_ID, StackOutputs, StackOutputsError


def terraform_output_json() -> dict:
    """What `terraform output -json` prints for a dev stack (shapes and types as Terraform does)."""

    def out(value, tf_type, sensitive=False):
        return {"sensitive": sensitive, "type": tf_type, "value": value}

    arn = "arn:aws:{}:eu-west-1:123456789012:{}"
    return {
        "region": out("eu-west-1", "string"),
        "account_id": out("123456789012", "string"),
        "environment": out("dev", "string"),
        "project": out("churn", "string"),
        "data_bucket": out("churn-dev-data-123456789012", "string"),
        "artifacts_bucket": out("churn-dev-artifacts-123456789012", "string"),
        "access_logs_bucket": out("churn-dev-access-logs-123456789012", "string"),
        "data_kms_key_arn": out(arn.format("kms", "key/1111-data"), "string"),
        "artifacts_kms_key_arn": out(arn.format("kms", "key/2222-artifacts"), "string"),
        "sagemaker_execution_role_arn": out(
            "arn:aws:iam::123456789012:role/churn-dev-sagemaker", "string"
        ),
        "pipeline_role_arn": out("arn:aws:iam::123456789012:role/churn-dev-pipeline", "string"),
        "orchestrator_policy_arn": out(
            "arn:aws:iam::123456789012:policy/churn-dev-orchestrator", "string"
        ),
        "private_subnet_ids": out(["subnet-0a", "subnet-0b"], ["list", "string"]),
        "sagemaker_security_group_ids": out(["sg-0123"], ["list", "string"]),
        "vpc_id": out("vpc-0abc", "string"),
        "model_package_group_name": out("churn-dev-models", "string"),
        "ecr_repository_url": out(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-dev", "string"
        ),
        "alerts_topic_arn": out(arn.format("sns", "churn-dev-alerts"), "string"),
        "log_group_names": out(
            {"pipeline": "/churn/dev/pipeline", "endpoint": "/churn/dev/endpoint"},
            ["object", {"endpoint": "string", "pipeline": "string"}],
        ),
        "pipeline_name": out("churn-dev-pipeline", "string"),
        "endpoint_name": out("churn-dev-endpoint", "string"),
    }


def test_reads_terraform_output_json() -> None:
    outputs = StackOutputs.from_terraform_json(terraform_output_json())
    assert outputs.region == "eu-west-1"
    assert outputs.private_subnet_ids == ["subnet-0a", "subnet-0b"]
    assert outputs.sagemaker_security_group_ids == ["sg-0123"]
    assert outputs.log_group_names["pipeline"] == "/churn/dev/pipeline"
    assert outputs.has_vpc and not outputs.is_local


def test_outputs_the_contract_does_not_know_are_ignored() -> None:
    data = terraform_output_json()
    data["some_new_output"] = {"sensitive": False, "type": "string", "value": "x"}
    assert StackOutputs.from_terraform_json(data).project == "churn"


def test_missing_outputs_are_named_with_the_fix() -> None:
    data = terraform_output_json()
    del data["artifacts_bucket"], data["pipeline_role_arn"]
    with pytest.raises(StackOutputsError) as caught:
        StackOutputs.from_terraform_json(data)
    message = str(caught.value)
    assert "['artifacts_bucket', 'pipeline_role_arn']" in message
    assert "output" in message and "apply" in message


def test_optional_outputs_may_be_missing() -> None:
    data = terraform_output_json()
    for name in ("vpc_id", "alerts_topic_arn", "access_logs_bucket", "log_group_names"):
        del data[name]
    outputs = StackOutputs.from_terraform_json(data)
    assert outputs.vpc_id is None and outputs.log_group_names == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("private_subnet_ids", "subnet-0a"),  # a string where Terraform should give a list
        ("account_id", 123456789012),  # a number where the contract says string
        ("account_id", "1234"),  # not twelve digits
        ("sagemaker_execution_role_arn", "churn-dev-sagemaker"),  # a name, not a role ARN
    ],
)
def test_mistyped_output_is_named(name: str, value: object) -> None:
    data = terraform_output_json()
    data[name]["value"] = value
    with pytest.raises(StackOutputsError) as caught:
        StackOutputs.from_terraform_json(data)
    assert f"output {name!r}" in str(caught.value)


def test_subnets_without_security_groups_are_refused() -> None:
    data = terraform_output_json()
    data["sagemaker_security_group_ids"]["value"] = []
    with pytest.raises(StackOutputsError, match="both be empty"):
        StackOutputs.from_terraform_json(data)


def test_plain_terraform_output_is_refused_with_the_fix() -> None:
    plain = {name: entry["value"] for name, entry in terraform_output_json().items()}
    with pytest.raises(StackOutputsError, match="-json"):
        StackOutputs.from_terraform_json(plain)
    with pytest.raises(StackOutputsError, match="JSON object"):
        StackOutputs.from_terraform_json([1, 2])


def test_from_file(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(terraform_output_json()))
    assert StackOutputs.from_file(path).environment == "dev"


def test_from_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(StackOutputsError, match="does not exist"):
        StackOutputs.from_file(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(StackOutputsError, match=r"broken\.json"):
        StackOutputs.from_file(broken)


def test_local_outputs_have_placeholders_and_no_vpc() -> None:
    local = StackOutputs.local(project="demo")
    assert local.account_id == LOCAL_ACCOUNT_ID and local.is_local
    assert local.data_bucket.startswith("local-") and local.artifacts_bucket.startswith("local-")
    assert f":{LOCAL_ACCOUNT_ID}:" in local.data_kms_key_arn
    assert local.sagemaker_execution_role_arn.startswith(f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/")
    assert local.private_subnet_ids == [] and not local.has_vpc


def test_terraform_json_round_trip() -> None:
    for outputs in (
        StackOutputs.local(),
        StackOutputs.from_terraform_json(terraform_output_json()),
    ):
        assert StackOutputs.from_terraform_json(outputs.to_terraform_json()) == outputs
