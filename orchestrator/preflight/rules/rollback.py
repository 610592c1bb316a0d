"""A rollback that can trip: the deployment's bake covers its alarms' evaluation window.

SageMaker watches the AutoRollbackConfiguration alarms during each baking period
(``WaitIntervalInSeconds``) of a blue/green deployment and rolls back when one is in ALARM
(developer guide, "Auto-Rollback Configuration and Monitoring"). An alarm needs
``period x evaluation_periods`` seconds of data before it can change state, so a bake shorter
than that window ends before any alarm can fire: the guardrail is configured but can never
act.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orchestrator.preflight.findings import Finding
from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.registry import rule

ROLLBACK_OUTPUT = "alarm_names"


def alarm_window_seconds(values: dict[str, Any]) -> int:
    """``period x evaluation_periods`` of a planned alarm (metric-math alarms: the longest
    period among their metrics)."""
    periods = [int(values.get("period") or 0)]
    for query in values.get("metric_query") or []:
        for metric in query.get("metric") or []:
            periods.append(int(metric.get("period") or 0))
    return max(periods) * int(values.get("evaluation_periods") or 1)


@rule("rollback-bake-covers-alarms", "each bake is long enough for the rollback alarms to fire",
      "plan")  # fmt: skip
def check_bake(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    addresses = set(inputs.plan.output_resources(ROLLBACK_OUTPUT))
    bake = inputs.environment.endpoint.deployment.wait_interval_seconds
    for alarm in inputs.plan.of_type("aws_cloudwatch_metric_alarm"):
        if alarm.address.split("[")[0] not in addresses:
            continue
        window = alarm_window_seconds(alarm.values)
        if bake < window:
            yield Finding(
                "rollback-bake-covers-alarms",
                str(alarm.values.get("alarm_name") or alarm.address),
                f"the deployment bakes {bake} s (wait_interval_seconds) but the alarm needs "
                f"{window} s of data (period x evaluation periods) before it can fire: a bad "
                "model is never rolled back",
                f"set endpoint.deployment.wait_interval_seconds to at least {window}",
            )
