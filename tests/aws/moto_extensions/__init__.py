"""What moto (5.x) lacks or gets wrong of SageMaker, one module per API, each citing the AWS API
reference behaviour it models; state lives in moto's own backend. :func:`sagemaker_patched`
installs them all for a block; the rest are helpers tests use to script SageMaker's side."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from moto.logs.responses import LogsResponse
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.servicequotas.responses import ServiceQuotasResponse

from moto_extensions.describe_pipeline_execution import _describe_pipeline_execution
from moto_extensions.eventual_consistency import (
    _create_endpoint,
    _create_endpoint_config,
    _create_model,
    _update_endpoint,
    lag_new_endpoint_configs,
    lag_new_models,
)
from moto_extensions.failed_endpoint import _delete_endpoint, _describe_endpoint, fail_endpoint
from moto_extensions.filter_log_events import _filter_log_events
from moto_extensions.list_pipeline_execution_steps import _list_pipeline_execution_steps
from moto_extensions.list_pipeline_executions import _list_pipeline_executions
from moto_extensions.list_service_quotas import _list_service_quotas, clear_quotas, set_quota
from moto_extensions.mixed_endpoint import mix_endpoint
from moto_extensions.monitoring_schedule import (
    _create_monitoring_schedule,
    _describe_monitoring_schedule,
    _update_monitoring_schedule,
    schedules,
)
from moto_extensions.rerun_pipeline_execution import (
    _retry_pipeline_execution,
    _start_pipeline_execution,
)
from moto_extensions.scripting import InjectError, set_transform_job_state, shared_session
from moto_extensions.state import (
    ACCOUNT,
    REGION,
    ExecutionState,
    backend,
    script_execution,
    step,
)
from moto_extensions.stop_pipeline_execution import _stop_pipeline_execution
from moto_extensions.update_endpoint import set_alarm_state
from moto_extensions.update_model_package import _update_model_package

__all__ = [
    "ACCOUNT",
    "REGION",
    "ExecutionState",
    "InjectError",
    "backend",
    "clear_quotas",
    "fail_endpoint",
    "lag_new_endpoint_configs",
    "lag_new_models",
    "mix_endpoint",
    "sagemaker_patched",
    "schedules",
    "script_execution",
    "set_alarm_state",
    "set_quota",
    "set_transform_job_state",
    "shared_session",
    "step",
]


@contextmanager
def sagemaker_patched() -> Iterator[None]:
    """Add the missing actions and corrections for the duration of the block."""
    with ExitStack() as stack:
        for name, function in {
            "update_endpoint": _update_endpoint,
            "describe_endpoint": _describe_endpoint,
            "delete_endpoint": _delete_endpoint,
            "create_endpoint": _create_endpoint,
            "create_endpoint_config": _create_endpoint_config,
            "create_model": _create_model,
            "list_pipeline_execution_steps": _list_pipeline_execution_steps,
            "list_pipeline_executions": _list_pipeline_executions,
            "stop_pipeline_execution": _stop_pipeline_execution,
            "describe_pipeline_execution": _describe_pipeline_execution,
            "retry_pipeline_execution": _retry_pipeline_execution,
            "start_pipeline_execution": _start_pipeline_execution,
            "create_monitoring_schedule": _create_monitoring_schedule,
            "describe_monitoring_schedule": _describe_monitoring_schedule,
            "update_monitoring_schedule": _update_monitoring_schedule,
        }.items():
            stack.enter_context(mock.patch.object(SageMakerResponse, name, function, create=True))
        stack.enter_context(
            mock.patch.object(SageMakerModelBackend, "update_model_package", _update_model_package)
        )
        stack.enter_context(
            mock.patch.object(
                ServiceQuotasResponse, "list_service_quotas", _list_service_quotas, create=True
            )
        )
        stack.enter_context(
            mock.patch.object(LogsResponse, "filter_log_events", _filter_log_events)
        )
        stack.callback(clear_quotas)
        yield
