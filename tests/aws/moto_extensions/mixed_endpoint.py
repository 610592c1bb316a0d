"""An endpoint in ``UpdateRollbackFailed``, which moto never reaches.

AWS: DescribeEndpoint's EndpointStatus
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html):
"UpdateRollbackFailed: Both the rolling deployment and auto-rollback failed. Your endpoint is in
service with a mix of the old and new endpoint configurations. For information about how to
remedy this issue and restore the endpoint's status to InService, see Rolling Deployments." The
endpoint serves (unlike Failed, the update path stays open: the remedy is an UpdateEndpoint to
a healthy configuration, which ``update_endpoint.py`` accepts in this state), and it is not
transitional: it stays so until updated. Here the endpoint keeps the variants it had and names
the configuration of the update that failed, as DescribeEndpoint does.
"""

from __future__ import annotations

from moto_extensions.state import backend


def mix_endpoint(name: str, requested_config: str, reason: str) -> None:
    """Leave endpoint ``name`` in UpdateRollbackFailed after an update to ``requested_config``
    whose rollback also failed: half its instances on each configuration."""
    endpoint = backend().endpoints[name]
    endpoint.endpoint_status = "UpdateRollbackFailed"
    endpoint.failure_reason = reason
    endpoint.endpoint_config_name = requested_config
