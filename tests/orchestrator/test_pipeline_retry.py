"""RetryPolicies in the definition (issue #24): which steps carry them and with what, the
environment setting's ranges, and the structure checks fed violations.

The shape is the one the SageMaker Python SDK's ``sagemaker/workflow/retry.py`` emits
(``RetryPolicy.to_request`` + ``ExceptionType``) and the developer guide's "Retry Policy for
Pipeline Steps" documents; see docs/aws-behaviours.md, "Retry policies".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.errors import ConfigError
from orchestrator.pipeline import DefinitionError, PipelineDefinition, build_definition, names
from orchestrator.pipeline.definition import build_document, validate_definition
from orchestrator.pipeline.retry import RetrySettings, check_retry_policies, retry_delay
from orchestrator.settings.environment import load_environment_file
from tests.orchestrator.test_pipeline_definition import aws_outputs, flat_steps, make_config

JOB_TYPES = ["SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT"]
STEP_TYPES = ["Step.SERVICE_FAULT", "Step.THROTTLING"]


def policy(exceptions: list[str], **limits: Any) -> dict[str, Any]:
    return {"BackoffRate": 2.0, "IntervalSeconds": 30, "MaxAttempts": 3, **limits,
            "ExceptionType": exceptions}  # fmt: skip


@pytest.fixture(scope="module")
def definition() -> PipelineDefinition:
    return build_definition(make_config(), aws_outputs())


def test_every_job_step_carries_a_step_policy_and_a_job_policy(definition) -> None:
    by_type = {s["Type"]: s.get("RetryPolicies") for s in flat_steps(definition.document)}
    assert by_type["Processing"] == [policy(STEP_TYPES), policy(JOB_TYPES)]
    # Tuning: SageMaker does not retry JOB_INTERNAL_ERROR there, so the policy does not claim it.
    assert by_type["Tuning"] == [policy(STEP_TYPES), policy(JOB_TYPES[1:])]
    # RegisterModel starts no job: only its call's faults and throttling apply.
    assert by_type["RegisterModel"] == [policy(STEP_TYPES)]
    assert by_type["Condition"] is None and by_type["Fail"] is None
    assert definition.step(names.EVALUATE)["RetryPolicies"] == by_type["Processing"]


def test_policies_have_the_sdk_to_request_shape_and_key_order(definition) -> None:
    for step in flat_steps(definition.document):
        for item in step.get("RetryPolicies", []):
            assert list(item) == ["BackoffRate", "IntervalSeconds", "MaxAttempts", "ExceptionType"]
            assert isinstance(item["BackoffRate"], float)
            assert type(item["IntervalSeconds"]) is int and type(item["MaxAttempts"]) is int
            assert 1 <= item["MaxAttempts"] <= 20 and "ExpireAfterMin" not in item
        assert check_retry_policies("x", step["Type"], step.get("RetryPolicies")) == []


def test_the_definition_with_policies_is_byte_identical_for_the_same_inputs() -> None:
    first = build_definition(make_config(), aws_outputs()).to_json()
    assert first == build_definition(make_config(), aws_outputs()).to_json()
    assert '"RetryPolicies"' in first


def test_settings_flow_into_every_policy_and_enabled_false_writes_none() -> None:
    custom = RetrySettings(max_attempts=5, interval_seconds=10, backoff_rate=1.5)
    document = build_definition(make_config(retry=custom), aws_outputs()).document
    limits = {
        (p["MaxAttempts"], p["IntervalSeconds"], p["BackoffRate"])
        for s in flat_steps(document)
        for p in s.get("RetryPolicies", [])
    }
    assert limits == {(5, 10, 1.5)}
    off = build_definition(make_config(retry=RetrySettings(enabled=False)), aws_outputs())
    assert not any("RetryPolicies" in s for s in flat_steps(off.document))


@pytest.mark.parametrize(
    ("setting", "value", "allowed"),
    [
        ("max_attempts", 0, "greater than or equal to 1"),
        ("max_attempts", 21, "less than or equal to 20"),
        ("interval_seconds", 0, "greater than or equal to 1"),
        ("interval_seconds", 43201, "less than or equal to 43200"),
        ("backoff_rate", 0.5, "greater than or equal to 1"),
        ("backoff_rate", 11, "less than or equal to 10"),
        ("max_attempts", "three", "valid integer"),
        ("attempts", 3, "unknown key"),
    ],
)
def test_environment_file_refuses_bad_retry_values_naming_key_and_range(
    tmp_path: Path, setting: str, value: Any, allowed: str
) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump({"name": "dev", "pipeline": {"retry": {setting: value}}}))
    with pytest.raises(ConfigError) as caught:
        load_environment_file(path)
    assert f"pipeline.retry.{setting}" in str(caught.value)
    assert allowed in str(caught.value)


def test_every_environment_gets_retries_by_default() -> None:
    for path in sorted(Path("environments").glob("*.yaml")):
        retry = load_environment_file(path).pipeline.retry
        assert retry.enabled and retry.max_attempts >= 1, path


# -- structure validation, fed violations ---------------------------------------------------


def _document_with(mutate) -> dict[str, Any]:
    document = copy.deepcopy(build_document(make_config(), aws_outputs()))
    mutate(document)
    return document


def _first(document: dict[str, Any], step_type: str) -> dict[str, Any]:
    return next(s for s in flat_steps(document) if s["Type"] == step_type)


VIOLATIONS = [
    (lambda s: s.update(RetryPolicies={"ExceptionType": STEP_TYPES}), "Processing",
     "RetryPolicies must be a list"),
    (lambda s: s["RetryPolicies"].append("retry"), "Processing", "must be an object"),
    (lambda s: s["RetryPolicies"][0].update(ExceptionType="Step.THROTTLING"), "Processing",
     "ExceptionType must be a non-empty list"),
    (lambda s: s["RetryPolicies"][0].update(ExceptionType=[]), "Processing",
     "ExceptionType must be a non-empty list"),
    (lambda s: s["RetryPolicies"][1].update(ExceptionType=["SageMaker.JOB_CAPACITY_ERROR"]),
     "Processing", "'SageMaker.JOB_CAPACITY_ERROR' is not one of"),
    (lambda s: s["RetryPolicies"][0].update(ExceptionType=STEP_TYPES + STEP_TYPES[:1]),
     "Processing", "names a type twice"),
    (lambda s: s["RetryPolicies"][0].update(MaxAttempts=21), "Processing",
     "MaxAttempts must be a whole number from 0 to 20, not 21"),
    (lambda s: s["RetryPolicies"][0].update(MaxAttempts=-1), "Tuning",
     "MaxAttempts must be a whole number from 0 to 20"),
    (lambda s: s["RetryPolicies"][0].update(MaxAttempts=2.5), "Processing",
     "MaxAttempts must be a whole number"),
    (lambda s: s["RetryPolicies"][0].update(MaxAttempts=True), "Processing",
     "MaxAttempts must be a whole number"),
    (lambda s: s["RetryPolicies"][0].update(IntervalSeconds=43201), "RegisterModel",
     "IntervalSeconds must be a whole number from 0 to 43200"),
    (lambda s: s["RetryPolicies"][0].update(BackoffRate=-1), "Processing",
     "BackoffRate must be a number >= 0"),
    (lambda s: s["RetryPolicies"][0].update(BackoffRate="2"), "Processing",
     "BackoffRate must be a number >= 0"),
    (lambda s: s["RetryPolicies"][0].update(ExpireAfterMin=14401), "Processing",
     "ExpireAfterMin must be a whole number from 0 to 14400"),
    (lambda s: s["RetryPolicies"][0].update(ExpireAfterMin=60), "Processing",
     "give MaxAttempts or ExpireAfterMin, not both"),
    (lambda s: s["RetryPolicies"][0].update(Retries=2), "Processing", "unknown key 'Retries'"),
    (lambda s: s.update(RetryPolicies=[policy(STEP_TYPES)]), "Condition",
     "a Condition step takes no RetryPolicies"),
    (lambda s: s.update(RetryPolicies=[policy(STEP_TYPES)]), "Fail",
     "a Fail step takes no RetryPolicies"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "step_type", "message"), VIOLATIONS)
def test_structure_validation_refuses_each_violation(mutate, step_type: str, message: str) -> None:
    document = _document_with(lambda d: mutate(_first(d, step_type)))
    with pytest.raises(DefinitionError) as caught:
        validate_definition(document)
    assert message in str(caught.value)


def test_documented_variants_are_accepted() -> None:
    def variants(document: dict[str, Any]) -> None:
        step = _first(document, "Processing")
        step["RetryPolicies"] = [
            {"ExceptionType": ["Step.THROTTLING"]},  # every limit at SageMaker's default
            {"BackoffRate": 0, "IntervalSeconds": 0, "ExpireAfterMin": 14400,
             "ExceptionType": ["SageMaker.RESOURCE_LIMIT"]},
            {"MaxAttempts": 0, "ExceptionType": ["SageMaker.CAPACITY_ERROR"]},
        ]  # fmt: skip

    validate_definition(_document_with(variants))
    PipelineDefinition.from_json(json.dumps(_document_with(variants)))


# -- what a policy means when a step fails --------------------------------------------------


def test_retry_delay_backs_off_and_stops_after_max_attempts() -> None:
    policies = [policy(STEP_TYPES, IntervalSeconds=30, MaxAttempts=3), policy(JOB_TYPES)]
    internal = "SageMaker.JOB_INTERNAL_ERROR"
    assert [retry_delay(policies, internal, n, 0.0) for n in range(4)] == [30, 60, 120, None]
    assert retry_delay(policies, "AlgorithmError", 0, 0.0) is None
    assert retry_delay([policy(JOB_TYPES[1:])], internal, 0, 0.0) is None


def test_retry_delay_defaults_and_expire_after_min() -> None:
    defaults = [{"ExceptionType": JOB_TYPES}]
    assert retry_delay(defaults, JOB_TYPES[0], 0, 0.0) == 1.0
    assert retry_delay(defaults, JOB_TYPES[0], 4, 0.0) == 16.0
    assert retry_delay(defaults, JOB_TYPES[0], 5, 0.0) is None  # MaxAttempts defaults to 5
    expiring = [{"ExpireAfterMin": 10, "IntervalSeconds": 5, "ExceptionType": JOB_TYPES}]
    assert retry_delay(expiring, JOB_TYPES[0], 50, 9.5) == 5 * 2.0**50
    assert retry_delay(expiring, JOB_TYPES[0], 0, 10.0) is None
