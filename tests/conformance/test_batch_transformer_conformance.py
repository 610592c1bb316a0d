"""The BatchTransformer protocol, the same tests locally and on SageMaker (moto).

Locally the job runs a real model server and every line is predicted. moto runs no model (its
transform jobs complete at once and write nothing), so on AWS the suite checks what the job was
asked to do and where the result says the predictions are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_local_endpoint_bundles import breast_cancer, feature_rows_csv

from orchestrator.backends.base import BatchRequest, BatchTransformer
from orchestrator.backends.polling import PollSettings

FAST = PollSettings(timeout_seconds=60, interval_seconds=0.01)
pytestmark = pytest.mark.xdist_group("conformance-endpoints")  # model servers: one worker


def _quiet(_message: str) -> None:
    """Progress lines are for people; the suite does not read them."""


def test_the_other_backends_locations_are_refused_by_name(case: Any) -> None:
    transformer: BatchTransformer = case.backend.transformer
    request = BatchRequest(input=case.foreign_location, output=case.location("out.csv"))
    with pytest.raises(Exception, match=r"--input .*(S3 URI|local path)"):
        transformer.check(request)


def test_a_filter_that_does_not_parse_is_refused_before_a_model_starts(case: Any) -> None:
    transformer: BatchTransformer = case.backend.transformer
    source = case.put("rows.csv", b"1,2\n")
    request = BatchRequest(input=source, output=case.location("out.csv"), input_filter="[1:]")
    with pytest.raises(Exception, match=r"\[1:\]"):
        transformer.check(request)


def test_a_transform_names_where_the_predictions_are(case: Any) -> None:
    transformer: BatchTransformer = case.backend.transformer
    _, features, _ = breast_cancer()
    source = case.put("rows.csv", feature_rows_csv(features[:20]))
    target = case.location("scored/rows.csv.out")
    package = case.register("v1", True)
    request = BatchRequest(input=source, output=target)
    transformer.check(request)
    result = transformer.transform(package, request, FAST, _quiet)
    assert result.output == target
    if case.name == "local":  # the job really ran: one prediction per input line
        assert result.records == 20
        assert len(Path(result.output).read_text().splitlines()) == 20
    else:
        job = case.backend.endpoints.clients.sagemaker.describe_transform_job(
            TransformJobName=result.job_name
        )
        assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == source
        assert job["TransformOutput"]["S3OutputPath"] == target
        assert result.status == "Completed"
