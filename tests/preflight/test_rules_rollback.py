"""The rollback guardrail rule: a bake shorter than a rollback alarm's evaluation window is
reported (the alarm could never fire in time); only the alarms the rollback output names."""

from __future__ import annotations

from typing import Any

from plan_builder import PlanBuilder

from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.rules.rollback import alarm_window_seconds
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import EnvironmentConfig, load_environment

DEV = load_environment("dev")


def with_bake(seconds: int) -> EnvironmentConfig:
    deployment = DEV.endpoint.deployment.model_copy(update={"wait_interval_seconds": seconds})
    return DEV.model_copy(
        update={"endpoint": DEV.endpoint.model_copy(update={"deployment": deployment})}
    )


def metric_math(period: int, evaluations: int) -> dict[str, Any]:
    return {
        "alarm_name": "e-rollback-5xx-rate",
        "evaluation_periods": evaluations,
        "metric_query": [
            {"id": "rate", "metric": []},
            {"id": "errors", "metric": [{"period": period}]},
        ],
    }


def plan(period: int, evaluations: int) -> PlanBuilder:
    built = PlanBuilder().resource(
        "monitoring", "aws_cloudwatch_metric_alarm", "rollback", metric_math(period, evaluations)
    )
    built.resource(  # a paging alarm the rollback does not use: not checked
        "monitoring", "aws_cloudwatch_metric_alarm", "paging",
        {"alarm_name": "e-cpu", "period": 3600, "evaluation_periods": 24},
    )  # fmt: skip
    return built.output("alarm_names", "monitoring", "aws_cloudwatch_metric_alarm.rollback")


def findings(config: EnvironmentConfig, built: PlanBuilder) -> list[str]:
    only = frozenset({"rollback-bake-covers-alarms"})
    report = run_preflight(PreflightInputs(config, plan=built.build()), only=only)
    return [f.problem for f in report.findings]


def test_a_bake_shorter_than_the_alarm_window_is_reported() -> None:
    found = findings(with_bake(0), plan(60, 3))
    assert len(found) == 1 and "bakes 0 s" in found[0] and "needs 180 s" in found[0]


def test_a_bake_covering_the_window_passes_and_paging_alarms_are_ignored() -> None:
    assert findings(with_bake(180), plan(60, 3)) == []
    assert findings(with_bake(300), plan(300, 3))  # a 15-minute window: 300 s is too short


def test_the_window_of_a_plain_alarm_and_of_metric_math() -> None:
    assert alarm_window_seconds({"period": 300, "evaluation_periods": 3}) == 900
    assert alarm_window_seconds(metric_math(60, 3)) == 180
