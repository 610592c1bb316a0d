"""Parameter rules: botocore's constraints on the definition and generated names, tag rules,
and the documented refusal of volume KMS keys on instance-store instance types."""

from __future__ import annotations

import json
from typing import Any

from plan_builder import PlanBuilder

from orchestrator.preflight.inputs import PreflightInputs, offline_definition
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import EnvironmentConfig, load_environment

DEV = load_environment("dev")


def findings(
    rule: str, config: EnvironmentConfig = DEV, definition: dict[str, Any] | None = None
) -> list[str]:
    document = definition if definition is not None else offline_definition(config, None)
    inputs = PreflightInputs(config, definition=document)
    report = run_preflight(inputs, only=frozenset({rule}))
    assert report.ran == [rule]
    return [f"{f.resource}: {f.problem}" for f in report.findings]


def test_the_environments_definition_fits_the_service_model() -> None:
    assert findings("sagemaker-api-constraints") == []


def test_a_step_argument_botocore_refuses_is_reported() -> None:
    document = offline_definition(DEV, None)
    broken = json.loads(json.dumps(document))
    broken["Steps"][0]["Arguments"]["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] = 0
    found = findings("sagemaker-api-constraints", definition=broken)
    assert found and "VolumeSizeInGB" in found[0]


def test_a_project_name_too_long_for_the_stamped_names_is_reported() -> None:
    config = DEV.model_copy(update={"project": "p" * 50})
    found = findings("sagemaker-names", config, definition={})
    assert any("EndpointConfigName" in f for f in found)
    assert findings("sagemaker-names") == []


def test_a_reserved_tag_prefix_is_reported() -> None:
    terraform = DEV.terraform.model_copy(update={"tags": {"aws:team": "ml"}})  # type: ignore[union-attr]
    found = findings("sagemaker-tags", DEV.model_copy(update={"terraform": terraform}))
    assert found and "aws:" in found[0]


def test_a_volume_key_on_an_instance_store_type_is_reported() -> None:
    document = json.loads(json.dumps(offline_definition(DEV, None)))
    cluster = document["Steps"][0]["Arguments"]["ProcessingResources"]["ClusterConfig"]
    cluster["InstanceType"] = "ml.g5.xlarge"
    found = findings("volume-kms-on-local-storage", definition=document)
    assert len(found) == 1 and "ml.g5.xlarge" in found[0]
    endpoint = DEV.endpoint.model_copy(update={"instance_type": "ml.m5d.large"})
    found = findings("volume-kms-on-local-storage", DEV.model_copy(update={"endpoint": endpoint}))
    assert found and found[0].startswith("endpoint: ml.m5d.large")
    assert findings("volume-kms-on-local-storage") == []


def test_rules_that_need_a_definition_are_skipped_without_one() -> None:
    report = run_preflight(PreflightInputs(DEV, plan=PlanBuilder().build()))
    assert report.skipped["volume-kms-on-local-storage"] == "no pipeline definition"
    assert "sagemaker-names" in report.ran
