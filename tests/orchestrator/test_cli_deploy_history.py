"""The deployment history (issue 25), against moto through the CLI: every deploy, no-op, alarm
rollback and failure is recorded with who, when, which version and the outcome;
``endpoint history`` prints it; ``models list`` marks the version serving; ``rollback --to``
returns to a version two deploys back, and refuses (exit 2) a version that never served."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from moto_extensions import fail_endpoint
from test_cli_aws import (  # noqa: F401  (fixtures)
    ALARMS,
    PREFIX,
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    register,
    stack,
)

ENDPOINT = f"{PREFIX}-endpoint"
FAILURE = "The primary container for production variant AllTraffic did not pass the ping check."


def history(environments: Path, flags: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    assert cli(environments, "endpoint", "history", *flags[:2], "--output", "json") == 0
    return json.loads(capsys.readouterr().out)


def test_history_records_deploy_no_op_alarm_rollback_failure_and_recreate(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    first = register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    assert cli(environments, "deploy", *flags) == 0  # the live version again: a no-op
    second = register(aws["sagemaker"], 2)
    aws["cloudwatch"].set_alarm_state(
        AlarmName=ALARMS[0], StateValue="ALARM", StateReason="5XX during the canary"
    )
    assert cli(environments, "deploy", *flags, "--model-package", second) == 1
    aws["cloudwatch"].set_alarm_state(AlarmName=ALARMS[0], StateValue="OK", StateReason="quiet")
    fail_endpoint(ENDPOINT, FAILURE)
    assert cli(environments, "deploy", *flags, "--model-package", second) == 1
    recreate = ["--model-package", second, "--recreate-failed"]
    assert cli(environments, "deploy", *flags, *recreate) == 0

    events = history(environments, flags, capsys)
    assert [(e["command"], e["action"], e["outcome"]) for e in events] == [
        ("deploy", "created", "InService"),
        ("deploy", "unchanged", "InService"),
        ("deploy", "none", "RolledBack"),
        ("deploy", "none", "Failed"),
        ("deploy", "recreated", "InService"),
    ]
    assert [e["package"]["arn"] for e in events] == [first, first, second, second, second]
    assert all(e["who"].startswith("arn:aws:") and e["endpoint"] == ENDPOINT for e in events)
    assert events[1]["package_before"] == first and events[2]["package_before"] == first
    assert "rolled back" in events[2]["reason"] and FAILURE in events[3]["reason"]
    assert events[0]["config_after"] == events[1]["config_after"]  # the no-op changed nothing
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_models_list_marks_the_version_serving_on_the_endpoint(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    register(aws["sagemaker"], 2, "PendingManualApproval")
    capsys.readouterr()
    assert cli(environments, "models", "list", *flags[:2], "--output", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["version"], p["serving_on"]) for p in listed] == [(1, ENDPOINT), (2, None)]


def test_rollback_to_a_version_two_deploys_back(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    first = register(aws["sagemaker"], 1)
    for version in (1, 2, 3):
        if version > 1:
            register(aws["sagemaker"], version)
        assert cli(environments, "deploy", *flags) == 0  # latest-approved each time
    capsys.readouterr()

    assert cli(environments, "rollback", *flags, "--to", "1", "--output", "json") == 0
    rolled = json.loads(capsys.readouterr().out)
    assert rolled["action"] == "rolled-back" and rolled["model_package_arn"] == first
    endpoint = aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == rolled["endpoint_config_name"]
    last = history(environments, flags, capsys)[-1]
    assert (last["command"], last["outcome"], last["package"]["version"]) == (
        "rollback",
        "InService",
        1,
    )


def test_rollback_to_a_version_that_never_served_is_refused(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, environments, flags = stack
    register(aws["sagemaker"], 1)
    assert cli(environments, "deploy", *flags) == 0
    register(aws["sagemaker"], 2)  # Approved, never deployed
    before = aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    capsys.readouterr()

    assert cli(environments, "rollback", *flags, "--to", "2") == 2
    err = capsys.readouterr().err
    assert f"v2 never served on endpoint {ENDPOINT}" in err
    assert f"history shows {PREFIX}-models-breast-cancer v1" in err and "Traceback" not in err
    assert aws["sagemaker"].describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"] == before
    assert cli(environments, "rollback", *flags, "--dataset", "wine") == 2  # --dataset needs --to
