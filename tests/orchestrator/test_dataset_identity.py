"""What identifies a dataset to the registry (its group) and to an endpoint's clients (its
serving signature): each rule fed what it must refuse or tell apart."""

from __future__ import annotations

import pytest
from ml_containers.data.bundled import load_bundled_schema
from ml_containers.schema import DatasetSchema

from orchestrator.backends.model_registry import check_group_name
from orchestrator.data.identity import dataset_slug, model_group_name, serving_signature
from orchestrator.errors import UserError


def changed(schema: DatasetSchema, **changes: object) -> DatasetSchema:
    return DatasetSchema.model_validate({**schema.to_dict(), **changes})


@pytest.mark.parametrize(
    ("dataset", "slug"),
    [("breast_cancer", "breast-cancer"), ("Churn v2", "churn-v2"), ("__x__y", "x-y")],
)
def test_a_dataset_name_is_folded_into_sagemakers_group_alphabet(dataset: str, slug: str) -> None:
    assert dataset_slug(dataset) == slug
    check_group_name(model_group_name("mlops-dev-models", dataset))


def test_a_dataset_name_without_letters_or_digits_is_refused_naming_the_fix() -> None:
    with pytest.raises(UserError, match=r"dataset name '__' has no letters or digits"):
        model_group_name("mlops-dev-models", "__")


def test_a_group_name_over_63_characters_is_refused_with_the_room_left() -> None:
    base = "mlops-dev-models"  # 16 characters: 46 left for the dataset after the hyphen
    assert len(model_group_name(base, "d" * 46)) == 63
    with pytest.raises(UserError, match=r"over SageMaker's limit of 63; .* at most 46"):
        model_group_name(base, "d" * 47)


def test_the_serving_signature_ignores_what_clients_do_not_send() -> None:
    schema = load_bundled_schema("breast_cancer")
    features = schema.to_dict()["features"]
    widened = [{**features[0], "max": 1e9, "description": "wider"}, *features[1:]]
    assert serving_signature(changed(schema, features=widened)) == serving_signature(schema)
    assert serving_signature(changed(schema, name="renamed")) == serving_signature(schema)


@pytest.mark.parametrize("change", ["feature order", "feature type", "classes", "dataset"])
def test_the_serving_signature_changes_with_the_request_or_the_answer(change: str) -> None:
    schema = load_bundled_schema("breast_cancer")
    data = schema.to_dict()
    features = data["features"]
    if change == "feature order":
        other = changed(schema, features=[features[1], features[0], *features[2:]])
    elif change == "feature type":
        other = changed(schema, features=[{**features[0], "type": "integer"}, *features[1:]])
    elif change == "classes":
        other = changed(schema, target={**data["target"], "classes": ["healthy", "sick"]})
    else:
        other = load_bundled_schema("wine")
    assert serving_signature(other) != serving_signature(schema)
