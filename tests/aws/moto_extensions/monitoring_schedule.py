"""CreateMonitoringSchedule, DescribeMonitoringSchedule and UpdateMonitoringSchedule, which moto 5
lacks entirely. Only the documented behaviour the orchestrator relies on is modelled:

* https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateMonitoringSchedule.html:
  returns ``MonitoringScheduleArn``; a name in use is ``ResourceInUse`` ("Resource being accessed
  is in use."); tags are kept.
* https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeMonitoringSchedule.html:
  ``MonitoringScheduleName``, ``MonitoringScheduleArn``, ``MonitoringScheduleStatus`` (Pending,
  Failed, Scheduled, Stopped; a created schedule is reported ``Scheduled`` at once here, as
  nothing in moto runs its jobs), ``MonitoringScheduleConfig`` as given, ``MonitoringType``,
  ``EndpointName``, ``CreationTime`` and ``LastModifiedTime``; an unknown name is
  ``ResourceNotFound`` ("Resource being access is not found.").
* https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateMonitoringSchedule.html:
  replaces ``MonitoringScheduleConfig``, returns the ARN; an unknown name is ``ResourceNotFound``.

The request shapes are checked by botocore on the client side, as with every moto call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter


def schedules(sm: SageMakerModelBackend) -> dict[str, dict[str, Any]]:
    """The schedules of a moto backend (tests read them to check what was sent)."""
    kept: dict[str, dict[str, Any]] = sm.__dict__.setdefault("_test_monitoring_schedules", {})
    return kept


def _create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    name = self._get_param("MonitoringScheduleName")
    if name in schedules(sm):
        raise ResourceInUseException(f"Monitoring schedule {name} already exists.")
    config = self._get_param("MonitoringScheduleConfig")
    arn = arn_formatter("monitoring-schedule", name, sm.account_id, sm.region_name)
    now = datetime.now(UTC)
    endpoint = (
        config.get("MonitoringJobDefinition", {})
        .get("MonitoringInputs", [{}])[0]
        .get("EndpointInput", {})
        .get("EndpointName")
    )
    schedules(sm)[name] = {
        "MonitoringScheduleArn": arn,
        "MonitoringScheduleName": name,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": config.get("MonitoringType", "DataQuality"),
        "CreationTime": now,
        "LastModifiedTime": now,
        "MonitoringScheduleConfig": config,
        "EndpointName": endpoint,
        "Tags": self._get_param("Tags") or [],
    }
    return ActionResult({"MonitoringScheduleArn": arn})


def _found(self: SageMakerResponse) -> dict[str, Any]:
    name = self._get_param("MonitoringScheduleName")
    schedule = schedules(self.sagemaker_backend).get(name)
    if schedule is None:
        raise ResourceNotFound(f"Monitoring schedule {name} does not exist.")
    return schedule


def _describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    return ActionResult({k: v for k, v in _found(self).items() if k != "Tags"})


def _update_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    schedule = _found(self)
    schedule["MonitoringScheduleConfig"] = self._get_param("MonitoringScheduleConfig")
    schedule["LastModifiedTime"] = datetime.now(UTC)
    return ActionResult({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})
