"""Issue #19 in every environment's plan: the drift alarm pages the alert topic and is not one of
the rollback alarms a deploy finds by the endpoint's name prefix, three Logs Insights queries
exist per environment, the `observability` output names them, and the orchestrator's rights on
the drift schedule are scoped to that one schedule, in the project VPC with the project keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from terraform_harness import ENVIRONMENTS
from test_terraform_plan import of_type

from orchestrator.flows.monitor_metrics import NAMESPACE


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_drift_alarm_queries_and_schedule_rights(plans: dict, environment: str) -> None:
    planned = plans[environment]["planned"]
    root = planned["planned_values"]["root_module"]
    outputs = planned["planned_values"]["outputs"]
    endpoint = outputs["endpoint_name"]["value"]
    seen = outputs["observability"]["value"]
    assert seen["drift_schedule_name"] == f"{endpoint}-drift"
    alarm = next(
        r["values"]
        for r in of_type(root, "aws_cloudwatch_metric_alarm")
        if r["values"]["alarm_name"] == seen["drift_alarm_name"]
    )
    assert alarm["metric_name"] == "drift_detected"
    assert alarm["dimensions"]["MonitoringSchedule"] == f"{endpoint}-drift"
    assert not alarm["alarm_name"].startswith(f"{endpoint}-")
    assert alarm["alarm_name"] not in outputs["alarm_names"]["value"]
    queries = [r["values"]["name"] for r in of_type(root, "aws_cloudwatch_query_definition")]
    assert sorted(queries) == sorted(seen["log_query_names"]) and len(queries) == 3
    applied = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    statement = _statement(applied, "ConvergeDriftScheduleInProjectVpcWithProjectKeys")
    assert statement["Resource"][0].endswith(f":monitoring-schedule/{endpoint.lower()}-drift")
    assert set(statement["Condition"]) >= {"ForAllValues:StringEquals", "StringEquals", "Null"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_monitor_run_may_publish_only_into_its_own_namespace(plans: dict, environment: str) -> None:
    """`monitor run`'s PutMetricData is granted on "*" (no resource type) with exactly the
    namespace the orchestrator publishes into, never Model Monitor's alarmed one."""
    applied = plans[environment]["applied"]["prior_state"]["values"]["root_module"]
    statement = _statement(applied, "PublishAdHocDriftMetrics")
    assert statement["Action"] == ["cloudwatch:PutMetricData"] and statement["Resource"] == "*"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}
    assert NAMESPACE != "/aws/sagemaker/Endpoints/data-metrics"
    assert not NAMESPACE.startswith("AWS/")  # reserved for AWS (botocore's Namespace doc)


def _statement(root: dict[str, Any], sid: str) -> dict[str, Any]:
    for policy in of_type(root, "aws_iam_policy"):
        document = policy["values"].get("policy")
        if not document:
            continue
        for statement in json.loads(document)["Statement"]:
            if statement.get("Sid") == sid:
                return dict(statement)
    raise AssertionError(f"no policy has the statement {sid}")
