"""The BatchTransformer protocol, the same tests locally and on SageMaker (moto).

Locally the job runs a real model server on a real model version and every line is predicted.
moto runs no model (its transform jobs complete at once and write nothing), so on AWS the suite
checks the job SageMaker was asked to run (its input, output and DataProcessing) and that the
result names where SageMaker writes the predictions.
"""

from __future__ import annotations

import re

import boto3
import pytest
from conformance_kit import USER_ERRORS, Kit
from test_local_endpoint_bundles import breast_cancer, feature_rows_csv

from orchestrator.backends.base import Backend, BatchRequest, BatchTransformer
from orchestrator.backends.polling import PollSettings

FAST = PollSettings(timeout_seconds=60, interval_seconds=0.01)
pytestmark = pytest.mark.xdist_group("conformance-endpoints")  # model servers: one worker
ROWS = 20


def _quiet(_message: str) -> None:
    """Progress lines are for people; the suite does not read them."""


def _rows_with_ids() -> bytes:
    """``ROWS`` records: an ID column, then the model's 30 features."""
    _, features, _ = breast_cancer()
    lines = feature_rows_csv(features[:ROWS]).decode().splitlines()
    return "".join(f"id-{n},{line}\n" for n, line in enumerate(lines)).encode()


@pytest.mark.parametrize("flag", ["--input", "--output"])
def test_the_other_backends_locations_are_refused_by_name(
    backend: Backend, kit: Kit, flag: str
) -> None:
    own, foreign = kit.put("rows.csv", b"1,2\n"), kit.foreign_location("rows.csv")
    request = (
        BatchRequest(input=foreign, output=kit.location("out.csv"))
        if flag == "--input"
        else BatchRequest(input=own, output=foreign)
    )
    kind = "a local path" if kit.on_aws else "an S3 URI"
    with pytest.raises(USER_ERRORS, match=f"{flag} {re.escape(foreign)} is {kind}"):
        backend.transformer.check(request)


@pytest.mark.parametrize("expression", ["[1:]", "$[1:", "$[0]]"])
@pytest.mark.parametrize("role", ["input_filter", "output_filter"])
def test_a_filter_that_does_not_parse_is_refused_before_a_model_starts(
    backend: Backend, kit: Kit, role: str, expression: str
) -> None:
    transformer: BatchTransformer = backend.transformer
    source = kit.put("rows.csv", b"1,2\n")
    request = BatchRequest(
        input=source,
        output=kit.location("out.csv"),
        input_filter=expression if role == "input_filter" else "$",
        output_filter=expression if role == "output_filter" else "$",
    )
    flag = "--" + role.replace("_", "-")
    with pytest.raises(USER_ERRORS, match=f"{flag} '{re.escape(expression)}'"):
        transformer.check(request)
    # transform() refuses it too, before it touches the (unregistered) version it is given.
    with pytest.raises(USER_ERRORS, match=re.escape(expression)):
        transformer.transform(None, request, FAST, _quiet)  # never reads the package


def test_a_transform_names_where_the_predictions_are(backend: Backend, kit: Kit) -> None:
    source = kit.put("rows.csv", _rows_with_ids())
    target = kit.location("scored/rows.csv.out")
    package = kit.register("v1")
    request = BatchRequest(
        input=source,
        output=target,
        input_filter="$[1:]",
        join_source="Input",
        output_filter="$[0,-1]",
    )
    backend.transformer.check(request)
    result = backend.transformer.transform(package, request, FAST, _quiet)
    assert result.output == target
    if not kit.on_aws:  # the job really ran: every record predicted, in order, with its ID
        lines = (kit.tmp / "files" / "scored" / "rows.csv.out").read_text().splitlines()
        assert [line.split(",")[0] for line in lines] == [f"id-{n}" for n in range(ROWS)]
        assert all(0.0 <= float(line.split(",")[1]) <= 1.0 for line in lines)
        assert result.records == ROWS
        return
    sagemaker = boto3.client("sagemaker", region_name=backend.outputs.region)
    job = sagemaker.describe_transform_job(TransformJobName=result.job_name)
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == source
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformOutput"]["S3OutputPath"] == target
    assert job["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "JoinSource": "Input",
        "OutputFilter": "$[0,-1]",
    }
    model = sagemaker.describe_model(ModelName=job["ModelName"])
    assert model["PrimaryContainer"]["ModelPackageName"] == package.arn
    assert result.status == "Completed"
