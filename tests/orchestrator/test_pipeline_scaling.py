"""The definition's side of horizontal scaling (issue #18): the Tune step's train channel is
ShardedByS3Key (valid in botocore's model of CreateHyperParameterTuningJob), the other channels
whole on every host, and Preprocess writes one train part per training host, from the same
TrainingInstanceCount parameter, so the setting is right for any count, 1 included."""

from __future__ import annotations

import copy

from test_pipeline_definition import aws_outputs, make_config, steps_of_type

from orchestrator.pipeline import build_definition, names
from orchestrator.pipeline.api_validation import validate_api_arguments


def _definition() -> dict:
    return build_definition(make_config(), aws_outputs()).document


def _channels(document: dict) -> dict[str, str]:
    (tune,) = steps_of_type(document, "Tuning")
    channels = tune["Arguments"]["TrainingJobDefinition"]["InputDataConfig"]
    return {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3DataDistributionType"]
        for c in channels
    }


def test_train_channel_is_sharded_and_the_rest_replicated():
    assert _channels(_definition()) == {
        "train": "ShardedByS3Key",
        "validation": "FullyReplicated",
        "transform": "FullyReplicated",
    }


def test_the_channel_distribution_is_valid_for_botocores_model():
    document = _definition()
    assert validate_api_arguments(document) == []
    broken = copy.deepcopy(document)
    (tune,) = steps_of_type(broken, "Tuning")
    source = tune["Arguments"]["TrainingJobDefinition"]["InputDataConfig"][0]["DataSource"]
    source["S3DataSource"]["S3DataDistributionType"] = "ShardedByHost"
    problems = validate_api_arguments(broken)
    assert any("'ShardedByHost' is not one of" in p for p in problems), problems


def test_preprocess_writes_one_train_part_per_training_host_from_the_same_parameter():
    document = _definition()
    (preprocess, _) = steps_of_type(document, "Processing")
    arguments = preprocess["Arguments"]["AppSpecification"]["ContainerArguments"]
    value = arguments[arguments.index("--train-parts") + 1]
    assert value == {
        "Std:Join": {"On": "", "Values": [{"Get": "Parameters.TrainingInstanceCount"}]}
    }
    (tune,) = steps_of_type(document, "Tuning")
    count = tune["Arguments"]["TrainingJobDefinition"]["ResourceConfig"]["InstanceCount"]
    assert count == {"Get": f"Parameters.{names.TRAINING_INSTANCE_COUNT}"}


def test_preprocess_shards_its_data_and_keeps_the_schema_whole():
    """The data input is ShardedByS3Key so N preprocessing hosts share the files; the schema
    every host needs stays FullyReplicated; Evaluate's inputs stay whole."""
    document = _definition()
    preprocess, evaluate = steps_of_type(document, "Processing")
    distribution = {
        i["InputName"]: i["S3Input"]["S3DataDistributionType"]
        for i in preprocess["Arguments"]["ProcessingInputs"]
    }
    assert distribution == {"data": "ShardedByS3Key", "schema": "FullyReplicated"}
    assert {
        i["S3Input"]["S3DataDistributionType"] for i in evaluate["Arguments"]["ProcessingInputs"]
    } == {"FullyReplicated"}
    assert validate_api_arguments(document) == []
