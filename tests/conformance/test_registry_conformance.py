"""The model registry conformance suite: SageMaker Model Registry semantics every backend keeps.

Runs once per backend in ``conftest.REGISTRY_BACKENDS`` (local SQLite, and SageMaker on moto)
and uses only the ``ModelRegistry`` protocol.
"""

from __future__ import annotations

import itertools

import pytest

from orchestrator.backends.model_registry import (
    ApprovalStatus,
    ModelPackage,
    ModelRegistry,
    RegistryError,
    parse_model_package_arn,
)

GROUP = "churn-model"
IMAGE = "000000000000.dkr.ecr.us-east-1.amazonaws.com/ml:1.0"


_ARTIFACT_NUMBERS = itertools.count(1)


def _register(registry: ModelRegistry, group: str = GROUP, **kwargs: object) -> ModelPackage:
    defaults: dict[str, object] = {
        "model_data_url": f"s3://models/{group}/{next(_ARTIFACT_NUMBERS)}/model.tar.gz",
        "image_uri": IMAGE,
    }
    return registry.register(group, **{**defaults, **kwargs})  # type: ignore[arg-type]


def test_backend_satisfies_the_protocol(registry: ModelRegistry) -> None:
    assert isinstance(registry, ModelRegistry)


def test_versions_increment_from_one_per_group(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    registry.ensure_group("other-model")
    first = _register(registry)
    second = _register(registry)
    other = _register(registry, group="other-model")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.group == GROUP and other.group == "other-model"
    assert parse_model_package_arn(second.arn) == (GROUP, 2)
    assert first.arn != second.arn
    assert first.approval_status == "PendingManualApproval"
    assert first.created_at <= second.created_at


def test_register_returns_what_get_returns(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    registered = _register(registry, description="first model")
    fetched = registry.get(GROUP, registered.version)
    assert fetched == registered
    assert fetched.description == "first model"
    assert fetched.model_data_url == registered.model_data_url
    assert fetched.image_uri == IMAGE


def test_list_versions_in_version_order_with_status_filter(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    statuses = ["Approved", "PendingManualApproval", "Rejected", "Approved", "Rejected"]
    for status in statuses:
        _register(registry, approval_status=status)
    every = registry.list_versions(GROUP)
    assert [p.version for p in every] == [1, 2, 3, 4, 5]
    assert [p.approval_status for p in every] == statuses
    assert [p.version for p in registry.list_versions(GROUP, "Approved")] == [1, 4]
    assert [p.version for p in registry.list_versions(GROUP, "Rejected")] == [3, 5]
    assert [p.version for p in registry.list_versions(GROUP, "PendingManualApproval")] == [2]
    with pytest.raises(RegistryError, match="approval status"):
        registry.list_versions(GROUP, "Deployed")  # type: ignore[arg-type]


def test_latest_approved_is_the_highest_approved_version(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    assert registry.latest_approved(GROUP) is None
    _register(registry, approval_status="Approved")
    _register(registry, approval_status="Approved")
    _register(registry)  # pending: never "latest approved"
    latest = registry.latest_approved(GROUP)
    assert latest is not None and latest.version == 2
    registry.set_status(GROUP, 2, "Rejected", reason="drift")
    latest = registry.latest_approved(GROUP)
    assert latest is not None and latest.version == 1
    registry.set_status(GROUP, 3, "Approved")
    latest = registry.latest_approved(GROUP)
    assert latest is not None and latest.version == 3


@pytest.mark.parametrize(
    ("start", "steps"),
    [
        ("PendingManualApproval", ["Approved", "Rejected", "Approved"]),
        ("PendingManualApproval", ["Rejected", "Approved"]),
        ("Approved", ["Rejected"]),
        ("Rejected", ["Approved"]),
    ],
)
def test_allowed_transitions_are_applied_with_their_reason(
    registry: ModelRegistry, start: str, steps: list[ApprovalStatus]
) -> None:
    registry.ensure_group(GROUP)
    package = _register(registry, approval_status=start)
    for number, status in enumerate(steps):
        changed = registry.set_status(GROUP, package.version, status, reason=f"step {number}")
        assert changed.approval_status == status
        assert changed.status_reason == f"step {number}"
        assert registry.get(GROUP, package.version).approval_status == status


@pytest.mark.parametrize("start", ["Approved", "Rejected"])
def test_no_way_back_to_pending(registry: ModelRegistry, start: str) -> None:
    registry.ensure_group(GROUP)
    package = _register(registry, approval_status=start)
    with pytest.raises(RegistryError, match="cannot go from"):
        registry.set_status(GROUP, package.version, "PendingManualApproval")
    assert registry.get(GROUP, package.version).approval_status == start


def test_unknown_status_is_refused(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    package = _register(registry)
    with pytest.raises(RegistryError, match="approval status"):
        registry.set_status(GROUP, package.version, "Deployed")  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match="approval status"):
        _register(registry, approval_status="approved")
    assert [p.version for p in registry.list_versions(GROUP)] == [1]


def test_unknown_group_and_version_are_errors(registry: ModelRegistry) -> None:
    with pytest.raises(RegistryError, match="no-such-group"):
        registry.get("no-such-group", 1)
    with pytest.raises(RegistryError, match="no-such-group"):
        registry.list_versions("no-such-group")
    with pytest.raises(RegistryError, match="no-such-group"):
        registry.latest_approved("no-such-group")
    with pytest.raises(RegistryError, match="no-such-group"):
        _register(registry, group="no-such-group", model_data_url="s3://b/k/model.tar.gz")
    registry.ensure_group(GROUP)
    _register(registry)
    with pytest.raises(RegistryError, match="version 7"):
        registry.get(GROUP, 7)
    with pytest.raises(RegistryError, match="version 7"):
        registry.set_status(GROUP, 7, "Approved")


def test_invalid_group_name_is_refused(registry: ModelRegistry) -> None:
    for bad in ["", "under_score", "-leading", "x" * 64, "has space"]:
        with pytest.raises(RegistryError, match="group name"):
            registry.ensure_group(bad)
    assert registry.list_groups() == []


def test_ensure_group_is_idempotent_and_groups_are_sorted(registry: ModelRegistry) -> None:
    registry.ensure_group("zeta-model", description="z")
    registry.ensure_group(GROUP)
    _register(registry)
    registry.ensure_group(GROUP)  # again: no error, versions kept
    registry.ensure_group("alpha-model")
    assert registry.list_groups() == ["alpha-model", GROUP, "zeta-model"]
    assert [p.version for p in registry.list_versions(GROUP)] == [1]


def test_metrics_metadata_and_description_round_trip(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    metrics = {"auc": 0.9876543210123, "accuracy": 0.95, "log_loss": 0.1234, "count": 3.0}
    metadata = {
        "git_sha": "0123abcd",
        "input_data": "s3://data-bucket/demo/input.csv",
        "pipeline_execution": "exec-42",
    }
    package = _register(
        registry,
        metrics=metrics,
        metadata=metadata,
        description="tuned on demo data",
        metrics_uri="s3://models/eval/evaluation.json",
    )
    for fetched in (package, registry.get(GROUP, package.version)):
        assert fetched.metrics == metrics
        assert fetched.metadata == metadata
        assert fetched.description == "tuned on demo data"
        assert fetched.metrics_uri == "s3://models/eval/evaluation.json"
    bare = _register(registry)
    assert (bare.metrics, bare.metadata, bare.metrics_uri) == ({}, {}, None)


def test_many_versions_span_more_than_one_page(registry: ModelRegistry) -> None:
    registry.ensure_group(GROUP)
    total = 120  # SageMaker's list calls return at most 100 per page
    for number in range(1, total + 1):
        status = "Approved" if number % 3 == 0 else "PendingManualApproval"
        _register(registry, approval_status=status)
    every = registry.list_versions(GROUP)
    assert [p.version for p in every] == list(range(1, total + 1))
    approved = registry.list_versions(GROUP, "Approved")
    assert [p.version for p in approved] == list(range(3, total + 1, 3))
    latest = registry.latest_approved(GROUP)
    assert latest is not None and latest.version == 120
