"""The EndpointManager protocol, the same tests on the local endpoint and on SageMaker (moto).

Locally every deploy starts a real model server (a real XGBoost bundle from the backend's own
registry and store), which must answer a test request before traffic moves. On AWS the versions
are registered in moto's registry with their model data in moto's bucket, and moto (with the
UpdateEndpoint extension) plays the endpoint. moto cannot run a model, so ``invoke`` is tested
apart: predictions on the local endpoint only
(``test_a_served_model_answers_with_predictions``), and on AWS the request InvokeEndpoint is sent,
checked with botocore's Stubber (``test_aws_invoke_sends_what_invokeendpoint_takes``).
"""

from __future__ import annotations

import io

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from conformance_kit import USER_ERRORS, Kit
from test_local_endpoint_bundles import breast_cancer, feature_rows_csv

from orchestrator.backends.aws.backend import AwsEndpointManager
from orchestrator.backends.base import Backend, EndpointManager
from orchestrator.backends.polling import PollSettings

FAST = PollSettings(timeout_seconds=60, interval_seconds=0.01)
pytestmark = pytest.mark.xdist_group("conformance-endpoints")  # model servers: one worker
LOCAL_ONLY = pytest.mark.parametrize("backend", ["local"], indirect=True)
AWS_ONLY = pytest.mark.parametrize("backend", ["aws-moto"], indirect=True)


def _quiet(_message: str) -> None:
    """Progress lines are for people; the suite does not read them."""


def test_nothing_serves_before_a_deploy(backend: Backend) -> None:
    assert backend.endpoints.serving() is None
    assert backend.endpoints.url is None


def test_deploy_update_and_rollback(backend: Backend, kit: Kit) -> None:
    endpoints: EndpointManager = backend.endpoints
    v1, v2 = kit.register("v1", rounds=5), kit.register("v2", rounds=6)
    created = endpoints.deploy(v1, FAST, _quiet)
    assert (created.action, created.model_package_arn) == ("created", v1.arn)
    assert created.endpoint_name == endpoints.endpoint_name
    assert endpoints.serving() == v1.arn and endpoints.url is not None
    updated = endpoints.deploy(v2, FAST, _quiet)
    assert (updated.action, updated.model_package_arn) == ("updated", v2.arn)
    assert updated.previous_config_name == created.endpoint_config_name
    assert updated.endpoint_config_name != created.endpoint_config_name
    assert endpoints.serving() == v2.arn
    rolled = endpoints.rollback(FAST, _quiet)
    assert (rolled.action, rolled.model_package_arn) == ("rolled-back", v1.arn)
    assert rolled.endpoint_config_name == created.endpoint_config_name
    assert rolled.previous_config_name == updated.endpoint_config_name
    assert endpoints.serving() == v1.arn


def test_deploying_the_live_version_again_is_a_no_op_that_keeps_the_rollback(
    backend: Backend, kit: Kit
) -> None:
    endpoints: EndpointManager = backend.endpoints
    v1, v2 = kit.register("v1", rounds=5), kit.register("v2", rounds=6)
    endpoints.deploy(v1, FAST, _quiet)
    updated = endpoints.deploy(v2, FAST, _quiet)
    again = endpoints.deploy(v2, FAST, _quiet)
    assert (again.action, again.model_package_arn) == ("unchanged", v2.arn)
    assert again.endpoint_config_name == updated.endpoint_config_name  # nothing new was made
    assert again.previous_config_name == updated.previous_config_name
    assert again.deleted_configs == ()
    assert endpoints.serving() == v2.arn
    rolled = endpoints.rollback(FAST, _quiet)  # the rollback target survived the no-op
    assert (rolled.action, rolled.model_package_arn) == ("rolled-back", v1.arn)


def test_a_version_that_is_not_approved_is_refused(backend: Backend, kit: Kit) -> None:
    endpoints = backend.endpoints
    pending = kit.register("pending", approved=False)
    with pytest.raises(USER_ERRORS, match="only Approved versions are deployed"):
        endpoints.deploy(pending, FAST, _quiet)
    assert endpoints.serving() is None and endpoints.url is None
    serving = kit.register("v1")
    endpoints.deploy(serving, FAST, _quiet)
    with pytest.raises(USER_ERRORS, match="only Approved versions are deployed"):
        endpoints.deploy(pending, FAST, _quiet)
    assert endpoints.serving() == serving.arn  # the refused version changed nothing


def test_a_rollback_with_nothing_before_is_refused(backend: Backend, kit: Kit) -> None:
    """Nothing deployed, then one version only: neither has a version to return to."""
    nothing_before = r"(?i)nothing to roll back|records no previous config"
    with pytest.raises(USER_ERRORS, match=nothing_before):
        backend.endpoints.rollback(FAST, _quiet)
    first = kit.register("v1")
    backend.endpoints.deploy(first, FAST, _quiet)
    with pytest.raises(USER_ERRORS, match=nothing_before):
        backend.endpoints.rollback(FAST, _quiet)
    assert backend.endpoints.serving() == first.arn


@LOCAL_ONLY
def test_a_served_model_answers_with_predictions(backend: Backend, kit: Kit) -> None:
    """moto runs no model; AWS's half is the request shape below."""
    package = kit.register("v1")
    backend.endpoints.deploy(package, FAST, _quiet)
    _, features, _ = breast_cancer()
    answer = backend.endpoints.invoke(
        feature_rows_csv(features[:3]), "text/csv", "application/json"
    )
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    assert len(predictions) == 3


@AWS_ONLY
def test_aws_invoke_sends_what_invokeendpoint_takes(backend: Backend) -> None:
    """The InvokeEndpoint request, checked against botocore's model by the Stubber, and the
    answer read back as the protocol's Invocation."""
    endpoints = backend.endpoints
    assert isinstance(endpoints, AwsEndpointManager)
    answer = b'{"predictions": [1]}'
    with Stubber(endpoints.runtime) as stub:
        stub.add_response(
            "invoke_endpoint",
            {
                "Body": StreamingBody(io.BytesIO(answer), len(answer)),
                "ContentType": "application/json",
                "InvokedProductionVariant": "AllTraffic",
            },
            {
                "EndpointName": backend.outputs.endpoint_name,
                "Body": b"1,2\n",
                "ContentType": "text/csv",
                "Accept": "application/json",
            },
        )
        invoked = endpoints.invoke(b"1,2\n", "text/csv", "application/json")
        stub.assert_no_pending_responses()
    assert (invoked.status_code, invoked.content_type) == (200, "application/json")
    assert invoked.json() == {"predictions": [1]}
