"""Capacity is kept and a mixed fleet is named (issue 25), against moto through the CLI: an
endpoint autoscaling grew from 1 to 4 instances keeps 4 through a deploy and a rollback (never
more than the autoscaling maximum), and an endpoint left UpdateRollbackFailed is reported with
what serves now and the command that resolves it, which then does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from moto_extensions import mix_endpoint
from test_cli_aws import (  # noqa: F401  (fixtures)
    PREFIX,
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    register,
)
from test_cli_aws import stack as aws_stack  # noqa: F401  (the fixture overridden below)

ENDPOINT = f"{PREFIX}-endpoint"


@pytest.fixture
def stack(aws_stack: Stack) -> Stack:  # noqa: F811  (requests the imported fixture)
    """The CLI test stack with dev's autoscaling raised to 1-5 instances."""
    path = aws_stack[1] / "dev.yaml"
    data = yaml.safe_load(path.read_text())
    data["endpoint"]["autoscaling"]["max_capacity"] = 5
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return aws_stack


def autoscale_to(aws: dict[str, Any], count: int) -> None:
    """What Application Auto Scaling does when load grows the variant."""
    aws["sagemaker"].update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": count}],
    )


def serving(aws: dict[str, Any]) -> tuple[str, int]:
    """(the endpoint's config, the instance count that config starts with)."""
    name = aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    config = aws["sagemaker"].describe_endpoint_config(EndpointConfigName=name)
    return name, config["ProductionVariants"][0]["InitialInstanceCount"]


def test_an_autoscaled_endpoint_deployed_to_keeps_its_4_instances(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    assert serving(aws)[1] == 1  # dev.yaml's initial count
    autoscale_to(aws, 4)
    register(aws["sagemaker"], 2)

    assert cli(environments, "deploy", *flags) == 0
    assert serving(aws)[1] == 4
    variant = aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 4
    [target] = aws["autoscaling"].describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 5)  # scaling is back


def test_a_rollback_to_a_smaller_config_keeps_the_grown_fleet(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, flags = stack
    first = register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    first_config = serving(aws)[0]
    register(aws["sagemaker"], 2)
    assert cli(environments, "deploy", *flags) == 0
    autoscale_to(aws, 4)
    capsys.readouterr()

    assert cli(environments, "rollback", *flags, "--output", "json") == 0
    rolled = json.loads(capsys.readouterr().out)
    name, count = serving(aws)
    assert count == 4 and name == rolled["endpoint_config_name"] != first_config
    assert rolled["model_package_arn"] == first  # a copy of the first config, same package


def test_the_kept_count_never_exceeds_the_autoscaling_maximum(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    autoscale_to(aws, 9)  # beyond max_capacity 5 (scaled by hand, say)
    register(aws["sagemaker"], 2)
    assert cli(environments, "deploy", *flags) == 0
    assert serving(aws)[1] == 5


def test_an_update_rollback_failed_endpoint_is_named_with_what_serves_and_the_fix(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    good = serving(aws)[0]
    register(aws["sagemaker"], 2)
    assert cli(environments, "deploy", *flags) == 0
    mix_endpoint(ENDPOINT, serving(aws)[0], "The rollback of the update failed: capacity")
    register(aws["sagemaker"], 3)
    configs = aws["sagemaker"].list_endpoint_configs()["EndpointConfigs"]
    capsys.readouterr()

    assert cli(environments, "deploy", *flags) == 1
    err = capsys.readouterr().err
    assert f"endpoint {ENDPOINT} is UpdateRollbackFailed" in err
    assert "Serving now: AllTraffic: 1 of 1 instances" in err
    assert "The rollback of the update failed: capacity" in err
    assert "`orchestrator rollback --env dev`" in err and "Traceback" not in err
    assert aws["sagemaker"].list_endpoint_configs()["EndpointConfigs"] == configs  # unchanged

    assert cli(environments, "rollback", *flags) == 0  # the command the error named
    endpoint = aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", good)


def test_a_fleet_scaling_out_starts_the_new_one_at_the_desired_count() -> None:
    """While autoscaling adds instances, CurrentInstanceCount lags DesiredInstanceCount; the
    new fleet starts at what autoscaling asked for, not what has come up so far."""
    from orchestrator.backends.aws.endpoint_capacity import live_instance_count
    from orchestrator.settings.endpoint import EndpointSettings

    settings = EndpointSettings.model_validate(
        {"autoscaling": {"min_capacity": 1, "max_capacity": 6}}
    )
    scaling_out = {
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "CurrentInstanceCount": 2, "DesiredInstanceCount": 4}
        ]
    }
    assert live_instance_count(scaling_out, settings) == 4
    assert live_instance_count(None, settings) == settings.initial_instance_count
