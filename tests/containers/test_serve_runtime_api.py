"""The local endpoint answers SageMaker Runtime's own API: boto3's ``invoke_endpoint`` against
the endpoint's proxy (``endpoint_url=``) reaches the real ``serve`` program unchanged, and the
model's refusals come back as SageMaker's ``ModelError``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import orjson
import pytest
from botocore.config import Config
from serve_helpers import BuiltBundle, ServerProcess, build_bundle

from orchestrator.backends.local.switching_proxy import VARIANT, SwitchingProxy

pytestmark = pytest.mark.xdist_group("serve-runtime-api")
NAME = "local-endpoint"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_bundle(tmp_path_factory.mktemp("runtime") / "model", "binary", "xgboost")


@pytest.fixture(scope="module")
def proxy(built: BuiltBundle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchingProxy]:
    server = ServerProcess(built.directory, tmp_path_factory.mktemp("logs"), workers=1)
    serving = SwitchingProxy(endpoint_name=NAME)
    try:
        server.wait_ready()
        serving.start()
        serving.switch_to(server.url)
        yield serving
    finally:
        serving.stop()
        server.stop()


def _runtime(url: str) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _csv(rows: list[list[Any]]) -> bytes:
    return "".join(",".join(map(repr, row)) + "\n" for row in rows).encode()


def test_invoke_endpoint_with_boto3_predicts_what_the_bundle_predicts(
    proxy: SwitchingProxy, built: BuiltBundle
) -> None:
    rows = built.raw_rows[:5]
    answer = _runtime(proxy.url).invoke_endpoint(
        EndpointName=NAME, Body=_csv(rows), ContentType="text/csv", Accept="application/json"
    )
    assert answer["ContentType"] == "application/json"
    assert answer["InvokedProductionVariant"] == VARIANT
    predictions = orjson.loads(answer["Body"].read())["predictions"]
    classes = built.bundle.manifest.classes
    got = np.array([[p["probabilities"][c] for c in classes] for p in predictions])
    np.testing.assert_allclose(got, built.expected(rows), rtol=1e-6)


def test_csv_answers_and_custom_attributes_pass_through(
    proxy: SwitchingProxy, built: BuiltBundle
) -> None:
    answer = _runtime(proxy.url).invoke_endpoint(
        EndpointName=NAME,
        Body=_csv(built.raw_rows[:3]),
        ContentType="text/csv",
        Accept="text/csv",
        CustomAttributes="trace=1",
    )
    assert answer["ContentType"].startswith("text/csv")
    assert len(answer["Body"].read().splitlines()) == 3


def test_a_refusal_by_the_model_is_a_model_error(proxy: SwitchingProxy) -> None:
    runtime = _runtime(proxy.url)
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint(EndpointName=NAME, Body=b"1,2,3\n", ContentType="text/csv")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 400
    assert orjson.loads(error["OriginalMessage"])["error"]["code"] == 400  # serve's own body
    assert "Received client error (400)" in error["Error"]["Message"]


def test_another_endpoint_name_is_a_validation_error(proxy: SwitchingProxy) -> None:
    runtime = _runtime(proxy.url)
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="other", Body=b"1\n", ContentType="text/csv")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "other" in caught.value.response["Error"]["Message"]


def test_before_any_deployment_the_service_is_unavailable(tmp_path: Path) -> None:
    empty = SwitchingProxy()  # no endpoint name: any name is this endpoint
    empty.start()
    try:
        runtime = _runtime(empty.url)
        with pytest.raises(runtime.exceptions.ClientError) as caught:
            runtime.invoke_endpoint(EndpointName="any", Body=b"1\n", ContentType="text/csv")
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    finally:
        empty.stop()
