"""``orchestrator preflight`` end to end through the CLI, on plans written to a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plan_builder import PlanBuilder, allow

from orchestrator.cli import main


def write(plan: PlanBuilder, path: Path) -> Path:
    path.write_text(json.dumps(plan.build().raw))
    return path


def everything_allowed() -> PlanBuilder:
    plan = (
        PlanBuilder()
        .role("iam", "pipeline")
        .output("pipeline_role_arn", "iam", "aws_iam_role.pipeline")
    )
    plan.inline("iam", "run", "pipeline", allow("*"))
    plan.policy("iam", "orchestrator", allow("*"))
    return plan.attach("iam", "o", "orchestrator", "var.orchestrator_role_names")


def test_a_plan_without_findings_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write(everything_allowed(), tmp_path / "plan.json")
    code = main(["preflight", "--env", "dev", "--offline", "--plan", str(plan), "--output", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report["findings"]
    assert report["passed"] and "orchestrator-coverage" in report["rules_run"]


def test_findings_exit_1_and_name_rule_resource_problem_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = everything_allowed().policy("iam", "typo", allow("sagemaker:CreatePipelines"))
    code = main(
        ["preflight", "--env", "dev", "--offline", "--plan", str(write(plan, tmp_path / "p.json"))]
    )
    printed = capsys.readouterr()
    assert code == 1
    assert "iam-unknown-action" in printed.out and "module.iam.aws_iam_policy.typo" in printed.out
    assert "1 findings" in printed.err


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "is not JSON"), ('{"format_version": "1.2"}', "no planned_values")],
)
def test_a_file_that_is_not_a_plan_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    assert main(["preflight", "--env", "dev", "--offline", "--plan", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_local_has_no_stack_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", "--env", "local", "--offline"]) == 2
    assert "aws environments" in capsys.readouterr().err
