"""The built definition: its shape against the SDK's reference definitions, the container
contracts, the gate direction per problem type, network/KMS in every job, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ml_containers.schema import OBJECTIVES, ProblemType, parse_schema

from orchestrator.data.identity import serving_signature
from orchestrator.pipeline import (
    DefinitionError,
    PipelineConfig,
    PipelineDefinition,
    build_definition,
    names,
    parse_pipeline_config,
)
from orchestrator.pipeline.config import TRAIN_HYPERPARAMETERS
from orchestrator.pipeline.expressions import iter_references
from orchestrator.settings.stack_outputs import StackOutputs

SCHEMAS: dict[str, dict[str, Any]] = {
    "binary": {
        "name": "churn",
        "problem_type": "binary_classification",
        "target": {"name": "churned", "classes": ["no", "yes"]},
        "id_columns": ["customer_id"],
        "features": [
            {"name": "tenure", "type": "integer", "min": 0},
            {"name": "plan", "type": "categorical", "categories": ["basic", "pro"]},
        ],
    },
    "multiclass": {
        "name": "wine",
        "problem_type": "multiclass_classification",
        "target": {"name": "cultivar", "classes": ["0", "1", "2"]},
        "features": [{"name": "alcohol", "type": "numeric"}],
    },
    "regression": {
        "name": "diabetes",
        "problem_type": "regression",
        "target": {"name": "progression"},
        "features": [{"name": "bmi", "type": "numeric"}],
    },
}


def make_config(kind: str = "binary", metric: dict[str, Any] | None = None, **overrides: Any):
    schema_data = dict(SCHEMAS[kind])
    if metric is not None:
        schema_data["metric"] = metric
    settings: dict[str, Any] = {
        "input_data_uri": "s3://churn-dev-data/raw/",
        "schema_uri": "s3://churn-dev-data/schema/schema.yaml",
        "code_version": "0123456789abcdef0123456789abcdef01234567",
        **overrides,
    }
    return PipelineConfig(dataset=parse_schema(schema_data), **settings)


def aws_outputs() -> StackOutputs:
    return StackOutputs(
        region="eu-west-1",
        account_id="123456789012",
        environment="dev",
        project="churn",
        data_bucket="churn-dev-data",
        artifacts_bucket="churn-dev-artifacts",
        data_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/data-key",
        artifacts_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/artifacts-key",
        sagemaker_execution_role_arn="arn:aws:iam::123456789012:role/churn-dev-sagemaker",
        pipeline_role_arn="arn:aws:iam::123456789012:role/churn-dev-pipeline",
        orchestrator_policy_arn="arn:aws:iam::123456789012:policy/churn-dev-orchestrator",
        private_subnet_ids=["subnet-0a", "subnet-0b"],
        sagemaker_security_group_ids=["sg-0123"],
        vpc_id="vpc-0abc",
        model_package_group_name="churn-dev-models",
        ecr_repository_url="123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-dev",
        pipeline_name="churn-dev-pipeline",
        endpoint_name="churn-dev-endpoint",
    )


@pytest.fixture(scope="module")
def definition() -> PipelineDefinition:
    return build_definition(make_config(), aws_outputs())


def flat_steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for step in document["Steps"]:
        result.append(step)
        if step["Type"] == "Condition":
            result += step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
    return result


def steps_of_type(document: dict[str, Any], step_type: str) -> list[dict[str, Any]]:
    return [s for s in flat_steps(document) if s["Type"] == step_type]


# -- shape against the SDK-generated reference definitions ------------------------------------
# A test taking ``reference_path`` runs once per reference definition (tests/conftest.py).


def test_reference_definitions_are_present(reference_paths: list[Path]) -> None:
    where = reference_paths[0].parent
    assert len(reference_paths) >= 2, f"expected the SDK reference definitions in {where}"


def test_same_step_types_in_the_same_order(definition, reference_path: Path) -> None:
    reference = json.loads(reference_path.read_text())
    assert definition.document["Version"] == reference["Version"] == "2020-12-01"
    assert [s["Type"] for s in flat_steps(definition.document)] == [
        s["Type"] for s in flat_steps(reference)
    ]
    assert {"Version", "Metadata", "Parameters", "PipelineExperimentConfig", "Steps"} <= set(
        definition.document
    )
    assert definition.document["PipelineExperimentConfig"] == reference["PipelineExperimentConfig"]


# The SDK's v2 line writes HyperParameterTuningResourceConfig, v3 writes ResourceConfig; both are
# valid. We write ResourceConfig (it carries VolumeKmsKeyId like the processing jobs' config).
EQUIVALENT_KEYS = {"HyperParameterTuningResourceConfig": "ResourceConfig"}


def assert_keys_covered(reference: dict, ours: dict, where: str) -> None:
    wanted = {EQUIVALENT_KEYS.get(k, k) for k in reference}
    missing = wanted - set(ours)
    assert not missing, f"{where}: the reference has {sorted(missing)}, ours does not"


def test_arguments_cover_the_references_keys(definition, reference_path: Path) -> None:
    reference = json.loads(reference_path.read_text())
    for step_type in ("Processing", "Tuning", "RegisterModel", "Fail", "Condition"):
        for ref_step, our_step in zip(
            steps_of_type(reference, step_type),
            steps_of_type(definition.document, step_type),
            strict=True,
        ):
            assert_keys_covered(ref_step, our_step, f"{step_type} step")
            assert_keys_covered(ref_step["Arguments"], our_step["Arguments"], step_type)
    ref_tune, our_tune = (
        steps_of_type(d, "Tuning")[0]["Arguments"] for d in (reference, definition.document)
    )
    for key in ("HyperParameterTuningJobConfig", "TrainingJobDefinition"):
        assert_keys_covered(ref_tune[key], our_tune[key], f"Tuning {key}")
    ref_channel, our_channel = (
        t["TrainingJobDefinition"]["InputDataConfig"][0] for t in (ref_tune, our_tune)
    )
    assert ref_channel.keys() == our_channel.keys()
    assert ref_channel["DataSource"].keys() == our_channel["DataSource"].keys()
    ref_register, our_register = (
        steps_of_type(d, "RegisterModel")[0]["Arguments"] for d in (reference, definition.document)
    )
    assert (
        ref_register["InferenceSpecification"].keys()
        == our_register["InferenceSpecification"].keys()
    )
    assert (
        ref_register["InferenceSpecification"]["Containers"][0].keys()
        == our_register["InferenceSpecification"]["Containers"][0].keys()
    )
    ref_pre, our_pre = (
        steps_of_type(d, "Processing")[0]["Arguments"] for d in (reference, definition.document)
    )
    assert (
        ref_pre["ProcessingInputs"][0]["S3Input"].keys()
        == our_pre["ProcessingInputs"][0]["S3Input"].keys()
    )
    ref_out, our_out = (p["ProcessingOutputConfig"]["Outputs"][0] for p in (ref_pre, our_pre))
    assert ref_out["S3Output"].keys() == our_out["S3Output"].keys()


def test_property_files_cache_config_and_condition_match(definition, reference_path) -> None:
    reference = json.loads(reference_path.read_text())
    ref_eval, our_eval = (
        steps_of_type(d, "Processing")[1] for d in (reference, definition.document)
    )
    assert our_eval["PropertyFiles"] == ref_eval["PropertyFiles"]
    for ref_step, our_step in zip(
        reference["Steps"][:2], definition.document["Steps"][:2], strict=True
    ):
        assert our_step["CacheConfig"] == ref_step["CacheConfig"]  # both P30D, enabled
    ref_condition, our_condition = (
        steps_of_type(d, "Condition")[0]["Arguments"]["Conditions"][0]
        for d in (reference, definition.document)
    )
    assert our_condition.keys() == ref_condition.keys()
    assert our_condition["Type"] == ref_condition["Type"] == "GreaterThanOrEqualTo"
    # The reference reads metrics.auc.value; a JsonGet path cannot be a parameter, so ours reads
    # the fixed key where Evaluate writes the run's verdict (GateMetric chosen at run time).
    ours, theirs = (
        our_condition["LeftValue"]["Std:JsonGet"],
        ref_condition["LeftValue"]["Std:JsonGet"],
    )
    assert ours["PropertyFile"] == theirs["PropertyFile"]
    assert (theirs["Path"], ours["Path"]) == ("metrics.auc.value", "gate.margin")
    assert our_condition["RightValue"] == 0.0


def test_uses_the_references_property_references(definition, reference_path: Path) -> None:
    def step_refs(document):
        return {r.target for r in iter_references(document) if r.namespace == "Steps"}

    reference = json.loads(reference_path.read_text())
    assert step_refs(reference) <= step_refs(definition.document)


def test_best_model_uri_is_built_like_the_sdk(definition, reference_path: Path) -> None:
    reference = json.loads(reference_path.read_text())
    ref_url = steps_of_type(reference, "RegisterModel")[0]["Arguments"]["InferenceSpecification"][
        "Containers"
    ][0]["ModelDataUrl"]["Std:Join"]
    our_url = steps_of_type(definition.document, "RegisterModel")[0]["Arguments"][
        "InferenceSpecification"
    ]["Containers"][0]["ModelDataUrl"]["Std:Join"]
    assert our_url["On"] == ref_url["On"] == "/"
    for values in (ref_url["Values"], our_url["Values"]):
        assert values[0] == "s3:/" and values[-1] == "output/model.tar.gz"
        assert values[-2] == {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"}
    # The prefix between bucket and job name is the tuning job's S3OutputPath.
    tune = definition.step(names.TUNE)["Arguments"]["TrainingJobDefinition"]
    assert tune["OutputDataConfig"]["S3OutputPath"] == "s3://" + "/".join(our_url["Values"][1:-2])
    evaluate_model = definition.step(names.EVALUATE)["Arguments"]["ProcessingInputs"][0]
    assert evaluate_model["S3Input"]["S3Uri"]["Std:Join"] == our_url


# -- container contracts (docs/architecture.md) ------------------------------------------------


def test_preprocess_contract(definition) -> None:
    arguments = definition.step(names.PREPROCESS)["Arguments"]
    assert arguments["AppSpecification"]["ContainerEntrypoint"] == ["preprocess"]
    container_args = arguments["AppSpecification"]["ContainerArguments"]
    flag = container_args.index("--rejection-threshold")
    assert container_args[flag + 1] == {"Get": f"Parameters.{names.REJECTION_THRESHOLD}"}
    # Built without a backend, the image is the commit's tag; flows pin it by digest.
    assert arguments["AppSpecification"]["ImageUri"].endswith(
        "/churn-dev:0123456789abcdef0123456789abcdef01234567"
    )
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["data"]["LocalPath"] == "/opt/ml/processing/input/data"
    assert inputs["data"]["S3Uri"] == {"Get": "Parameters.InputData"}
    assert inputs["schema"]["LocalPath"] == "/opt/ml/processing/input/schema"
    assert inputs["schema"]["S3Uri"] == {"Get": "Parameters.SchemaUri"}
    outputs = arguments["ProcessingOutputConfig"]["Outputs"]
    assert [o["OutputName"] for o in outputs] == [
        "train",
        "validation",
        "test",
        "transform",
        "batch",
        "report",
    ]
    for output in outputs:
        s3 = output["S3Output"]
        assert s3["LocalPath"] == f"/opt/ml/processing/output/{output['OutputName']}"
        assert s3["S3Uri"]["Std:Join"]["Values"] == [
            "s3:/",
            "churn-dev-artifacts",
            "churn-dev-pipeline",
            {"Get": "Execution.PipelineExecutionId"},
            "Preprocess",
            "output",
            output["OutputName"],
        ]


def test_tuning_contract(definition) -> None:
    arguments = definition.step(names.TUNE)["Arguments"]
    job = arguments["TrainingJobDefinition"]
    assert "ContainerEntrypoint" not in json.dumps(job)  # SageMaker runs the image with `train`
    channels = {c["ChannelName"]: c for c in job["InputDataConfig"]}
    assert list(channels) == ["train", "validation", "transform"]
    for name, channel in channels.items():
        source = channel["DataSource"]["S3DataSource"]
        assert source["S3DataType"] == "S3Prefix"
        assert source["S3Uri"] == {
            "Get": f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"
        }
    assert channels["train"]["ContentType"] == channels["validation"]["ContentType"] == "text/csv"
    assert set(job["StaticHyperParameters"]) <= TRAIN_HYPERPARAMETERS
    assert all(isinstance(v, str) for v in job["StaticHyperParameters"].values())
    search = arguments["HyperParameterTuningJobConfig"]
    assert search["Strategy"] == "Bayesian"
    assert search["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": {"Get": "Parameters.MaxTuningJobs"},
        "MaxParallelTrainingJobs": {"Get": "Parameters.MaxParallelTuningJobs"},
    }
    ranges = search["ParameterRanges"]
    continuous = {r["Name"]: r for r in ranges["ContinuousParameterRanges"]}
    integer = {r["Name"]: r for r in ranges["IntegerParameterRanges"]}
    assert continuous["eta"]["ScalingType"] == "Logarithmic"
    assert {"subsample", "colsample_bytree", "min_child_weight", "lambda"} <= set(continuous)
    assert "max_depth" in integer and integer["max_depth"]["MinValue"].isdigit()


def test_evaluate_contract(definition) -> None:
    arguments = definition.step(names.EVALUATE)["Arguments"]
    assert arguments["AppSpecification"]["ContainerEntrypoint"] == ["evaluate"]
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["model"]["LocalPath"] == "/opt/ml/processing/input/model"
    assert inputs["test"]["LocalPath"] == "/opt/ml/processing/input/test"
    assert inputs["test"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    }
    (output,) = arguments["ProcessingOutputConfig"]["Outputs"]
    assert output["OutputName"] == "evaluation"
    assert output["S3Output"]["LocalPath"] == "/opt/ml/processing/evaluation"


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_objective_and_regex_follow_the_problem_type(kind: str) -> None:
    config = make_config(kind)
    objective = OBJECTIVES[config.dataset.problem_type]
    search = build_definition(config, aws_outputs()).step(names.TUNE)["Arguments"]
    tuning_objective = search["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
    assert tuning_objective == {
        "Type": objective.tuning_direction,
        "MetricName": f"validation:{objective.tuning_metric}",
    }
    definitions = search["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"]
    regex = next(d["Regex"] for d in definitions if d["Name"] == tuning_objective["MetricName"])
    # The regex reads the line the train program prints, as SageMaker reads the job's log.
    log = (
        f"[42]\ttrain:{objective.tuning_metric}=0.1\nvalidation:{objective.tuning_metric}=0.8125\n"
    )
    assert re.search(regex, log).group(1) == "0.8125"


def test_register_step_lineage_and_metrics(definition) -> None:
    arguments = definition.step(names.REGISTER)["Arguments"]
    assert arguments["ModelPackageGroupName"] == "churn-dev-models-churn"  # the dataset's group
    assert arguments["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    spec = arguments["InferenceSpecification"]
    assert spec["SupportedContentTypes"] == [
        "text/csv",
        "application/json",
        "application/jsonlines",
    ]
    statistics = arguments["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert statistics["S3Uri"]["Std:Join"]["Values"] == [
        {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
        "evaluation.json",
    ]
    assert arguments["MetadataProperties"]["CommitId"] == make_config().code_version
    lineage = arguments["CustomerMetadataProperties"]
    assert lineage["input_data"] == {"Get": "Parameters.InputData"}
    assert lineage["input_data_version"] == {"Get": "Parameters.InputDataVersion"}
    batch = "Steps.Preprocess.ProcessingOutputConfig.Outputs['batch'].S3Output.S3Uri"
    assert lineage["test_data"] == {"Get": batch}
    assert lineage["schema_name"] == "churn"
    assert lineage["serving_signature"] == serving_signature(make_config().dataset)
    gate_value = lineage["gate_metric_value"]["Std:Join"]["Values"][0]["Std:JsonGet"]
    assert gate_value["Path"] == "gate.value"
    assert lineage["gate_metric"] == {"Get": "Parameters.GateMetric"}


# -- parameters ----------------------------------------------------------------------------------


def test_parameters_and_their_defaults(definition) -> None:
    defaults = definition.parameter_defaults()
    assert list(defaults) == [
        "InputData",
        "InputDataVersion",
        "SchemaUri",
        "MetricThreshold",
        "GateMetric",
        "ModelApprovalStatus",
        "ProcessingInstanceType",
        "ProcessingInstanceCount",
        "TrainingInstanceType",
        "TrainingInstanceCount",
        "RejectionThreshold",
        "MaxTuningJobs",
        "MaxParallelTuningJobs",
    ]
    assert defaults["MetricThreshold"] == 0.75  # the schema's default AUC gate
    assert defaults["GateMetric"] == "auc"
    assert defaults["ModelApprovalStatus"] == "PendingManualApproval"
    assert defaults["RejectionThreshold"] == "0.05"
    # Set per execution by the orchestrator (a digest of the data), never baked in.
    assert defaults["InputDataVersion"] == "unversioned"
    used = {r.target for r in iter_references(definition.document["Steps"])}
    for parameter in definition.parameters:
        assert f"Parameters.{parameter.name}" in used, f"{parameter.name} is declared but unused"


def test_config_values_become_parameter_defaults() -> None:
    config = make_config(
        metric={"name": "f1", "threshold": 0.6},
        approval_status="Approved",
        tuning={"max_jobs": 4, "max_parallel_jobs": 4},
        preprocess={"rejection_threshold": 0.1},
    )
    defaults = build_definition(config, aws_outputs()).parameter_defaults()
    assert defaults["MetricThreshold"] == 0.6
    assert defaults["ModelApprovalStatus"] == "Approved"
    assert (defaults["MaxTuningJobs"], defaults["MaxParallelTuningJobs"]) == (4, 4)
    assert defaults["RejectionThreshold"] == "0.1"


# -- the quality gate, chosen at run time --------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "metric", "choices"),
    [
        (
            "binary",
            None,
            ["auc", "accuracy", "precision", "recall", "f1", "macro_f1", "weighted_f1", "log_loss"],
        ),
        ("binary", {"name": "log_loss", "threshold": 0.5}, None),
        ("multiclass", None, ["accuracy", "macro_f1", "weighted_f1", "log_loss"]),
        ("regression", None, ["rmse", "mae", "r2"]),
        ("regression", {"name": "rmse", "threshold": 50.0}, None),
    ],
)
def test_gate_metric_is_a_parameter_whose_values_are_the_problem_types_metrics(
    kind, metric, choices
) -> None:
    config = make_config(kind, metric=metric)
    definition = build_definition(config, aws_outputs())
    gate = config.dataset.gate
    (declared,) = [p for p in definition.document["Parameters"] if p["Name"] == "GateMetric"]
    assert declared["DefaultValue"] == gate.name
    if choices is not None:
        assert declared["EnumValues"] == choices
    assert gate.name in declared["EnumValues"]
    assert definition.parameter_defaults()["MetricThreshold"] == gate.threshold


def test_the_gate_reads_fixed_keys_whatever_the_metric_and_passes_the_choice_to_evaluate() -> None:
    """Direction is the job's business (margin >= 0 means passed for scores and errors alike),
    so the same condition serves every metric; the job gets the run's metric and threshold."""
    for metric in (None, {"name": "rmse", "threshold": 50.0}):
        definition = build_definition(make_config("regression", metric=metric), aws_outputs())
        (condition,) = definition.step(names.QUALITY_GATE)["Arguments"]["Conditions"]
        assert condition["Type"] == "GreaterThanOrEqualTo" and condition["RightValue"] == 0.0
        assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "gate.margin"
        environment = definition.step(names.EVALUATE)["Arguments"]["Environment"]
        assert environment == {
            "GATE_METRIC": {"Get": "Parameters.GateMetric"},
            "GATE_THRESHOLD": {
                "Std:Join": {"On": "", "Values": [{"Get": "Parameters.MetricThreshold"}]}
            },
        }
        message = definition.step(names.GATE_FAILED)["Arguments"]["ErrorMessage"]["Std:Join"]
        paths = [
            v["Std:JsonGet"]["Path"]
            for v in message["Values"]
            if isinstance(v, dict) and "Std:JsonGet" in v
        ]
        assert paths == ["gate.metric", "gate.value", "gate.bound"]
        assert {"Get": "Parameters.MetricThreshold"} in message["Values"]


# -- network and encryption in every job ---------------------------------------------------------


def test_every_job_runs_in_the_vpc_with_kms(definition) -> None:
    outputs = aws_outputs()
    jobs = 0
    for step in flat_steps(definition.document):
        arguments = step["Arguments"]
        if step["Type"] == "Processing":
            jobs += 1
            network = arguments["NetworkConfig"]
            assert network["VpcConfig"] == {
                "SecurityGroupIds": ["sg-0123"],
                "Subnets": ["subnet-0a", "subnet-0b"],
            }
            assert network["EnableNetworkIsolation"] is True
            assert network["EnableInterContainerTrafficEncryption"] is True
            cluster = arguments["ProcessingResources"]["ClusterConfig"]
            assert cluster["VolumeKmsKeyId"] == outputs.data_kms_key_arn
            assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == outputs.artifacts_kms_key_arn
            assert arguments["RoleArn"] == outputs.sagemaker_execution_role_arn
        elif step["Type"] == "Tuning":
            jobs += 1
            job = arguments["TrainingJobDefinition"]
            assert job["VpcConfig"]["Subnets"] == outputs.private_subnet_ids
            assert job["VpcConfig"]["SecurityGroupIds"] == outputs.sagemaker_security_group_ids
            assert job["EnableNetworkIsolation"] is True
            assert job["EnableInterContainerTrafficEncryption"] is True
            assert job["ResourceConfig"]["VolumeKmsKeyId"] == outputs.data_kms_key_arn
            assert job["OutputDataConfig"]["KmsKeyId"] == outputs.artifacts_kms_key_arn
            assert job["RoleArn"] == outputs.sagemaker_execution_role_arn
    assert jobs == 3


def test_local_stack_has_no_vpc_but_keeps_isolation_and_keys() -> None:
    outputs = StackOutputs.local()
    definition = build_definition(make_config(), outputs)
    text = definition.to_json()
    assert "VpcConfig" not in text
    assert "subnet-" not in text
    preprocess = definition.step(names.PREPROCESS)["Arguments"]
    assert preprocess["NetworkConfig"] == {
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": True,
    }
    assert f"s3://{outputs.artifacts_bucket}/" in text
    assert outputs.data_kms_key_arn in text and outputs.artifacts_kms_key_arn in text


def test_isolation_and_encryption_follow_the_config() -> None:
    config = make_config(network_isolation=False, inter_container_encryption=False)
    definition = build_definition(config, aws_outputs())
    job = definition.step(names.TUNE)["Arguments"]["TrainingJobDefinition"]
    assert job["EnableNetworkIsolation"] is False
    assert job["EnableInterContainerTrafficEncryption"] is False


def test_caching_is_configurable() -> None:
    off = build_definition(make_config(caching={"enabled": False}), aws_outputs())
    short = build_definition(make_config(caching={"expire_after": "PT12H"}), aws_outputs())
    for name in (names.PREPROCESS, names.TUNE, names.EVALUATE):
        assert off.step(name)["CacheConfig"] == {"Enabled": False}
        assert short.step(name)["CacheConfig"] == {"Enabled": True, "ExpireAfter": "PT12H"}


# -- determinism ---------------------------------------------------------------------------------

_HASH_SCRIPT = """
import hashlib, sys
sys.path[:0] = [{tests!r}]  # this folder, for test_pipeline_definition
from test_pipeline_definition import aws_outputs, make_config
from orchestrator.pipeline import build_definition
text = build_definition(make_config(), aws_outputs()).to_json()
print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_same_inputs_give_byte_identical_json(definition) -> None:
    again = build_definition(make_config(), aws_outputs())
    assert again.to_json() == definition.to_json()
    # The retry policies (issue #24) are part of what must be stable: Preprocess, Tune, Evaluate
    # and Register carry them.
    assert definition.to_json().count('"RetryPolicies"') == 4
    expected = hashlib.sha256(definition.to_json().encode()).hexdigest()
    # Other processes with other hash seeds (set/dict ordering) must produce the same bytes.
    script = _HASH_SCRIPT.format(tests=str(Path(__file__).parent))
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == expected


def test_different_inputs_give_different_json(definition) -> None:
    other = build_definition(make_config(code_version="f" * 40), aws_outputs())
    assert other.to_json() != definition.to_json()


def test_json_round_trip(definition) -> None:
    loaded = PipelineDefinition.from_json(definition.to_json())
    assert loaded.document == definition.document
    assert loaded.to_json() == definition.to_json()


# -- config errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"tuning": {"static_hyperparameters": {"num_rounds": 10}}}, "num_rounds"),
        (
            {"tuning": {"ranges": [{"name": "etta", "kind": "continuous", "min": 0.1, "max": 1}]}},
            "etta",
        ),
        (
            {"tuning": {"ranges": [{"name": "eta", "kind": "continuous", "min": 0.5, "max": 0.1}]}},
            "min 0.5 >= max 0.1",
        ),
        ({"tuning": {"static_hyperparameters": {"eta": "0.1"}}}, "both static and tuned"),
        ({"tuning": {"max_jobs": 2, "max_parallel_jobs": 3}}, "exceeds max_jobs"),
        ({"caching": {"expire_after": "30 days"}}, "ISO 8601"),
        ({"input_data_uri": "/data/raw.csv"}, "input_data_uri"),
        ({"approval_status": "Maybe"}, "approval_status"),
    ],
)
def test_bad_config_is_named(changes: dict, expected: str) -> None:
    data = {
        "dataset": SCHEMAS["binary"],
        "input_data_uri": "s3://churn-dev-data/raw/",
        "schema_uri": "s3://churn-dev-data/schema/schema.yaml",
        "code_version": "abc",
        **changes,
    }
    with pytest.raises(DefinitionError) as caught:
        parse_pipeline_config(data, source="environments/dev.yaml")
    assert expected in str(caught.value)
    assert "environments/dev.yaml" in str(caught.value)


def test_missing_image_is_a_clear_error() -> None:
    outputs = StackOutputs.local().model_copy(update={"ecr_repository_url": None})
    with pytest.raises(DefinitionError, match="image_uri"):
        build_definition(make_config(), outputs)
    explicit = build_definition(make_config(image_uri="registry.example/ml:1.2"), outputs)
    assert explicit.step(names.PREPROCESS)["Arguments"]["AppSpecification"]["ImageUri"] == (
        "registry.example/ml:1.2"
    )


def test_problem_types_cover_the_schema() -> None:
    assert {make_config(k).dataset.problem_type for k in SCHEMAS} == set(ProblemType)
