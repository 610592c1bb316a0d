"""Every command that opens an aws environment's backend checks the caller's account first
(issue 17): credentials of another account stop it, exit 2, naming both accounts and the fix,
before any other AWS call."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from test_cli_aws import (  # noqa: F401  (fixtures)
    ACCOUNT,
    Stack,
    cli,
    credentials,
    envdir,
    moto,
    outputs_file,
    stack,
    stack_outputs,
)

OTHER = "999988887777"


@pytest.mark.parametrize(
    "command",
    [["models", "list"], ["executions", "list"], ["deploy"], ["endpoint", "history"]],
    ids=lambda c: " ".join(c),
)
def test_credentials_of_another_account_stop_the_command_before_any_other_call(
    stack: Stack,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    _, environments, flags = stack
    path = environments / "dev.yaml"
    data = yaml.safe_load(path.read_text())
    data["account_id"] = OTHER  # the environment and its stack are in another account ...
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    other = stack_outputs(account_id=OTHER).to_terraform_json()
    Path(flags[1]).write_text(json.dumps(other))  # ... than the credentials' (moto's)
    calls: list[str] = []

    def seen(event_name: str, **_: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    import boto3

    boto3.DEFAULT_SESSION = None
    from moto_extensions import shared_session

    shared_session().events.register("before-call", seen)
    assert cli(environments, *command, *flags[:2]) == 2
    err = capsys.readouterr().err
    assert f"the AWS credentials are for account {ACCOUNT}" in err
    assert f"environment dev is account {OTHER}" in err and "Traceback" not in err
    assert all(call == "GetCallerIdentity" for call in calls), calls
