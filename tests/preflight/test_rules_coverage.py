"""Coverage rules: the pipeline role against the definition's steps, the orchestrator's
policies against its recorded calls, and KMS key policies against IAM delegation."""

from __future__ import annotations

from plan_builder import PlanBuilder, allow

from orchestrator.preflight.inputs import PreflightInputs, offline_definition
from orchestrator.preflight.rules.coverage import actions_for_call, step_actions
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import load_environment

DEV = load_environment("dev")
DEFINITION = offline_definition(DEV, None)


def findings(plan: PlanBuilder, rule: str, calls: frozenset[str] = frozenset()) -> list[str]:
    inputs = PreflightInputs(DEV, plan=plan.build(), definition=DEFINITION, calls=calls)
    report = run_preflight(inputs, only=frozenset({rule}))
    assert report.ran == [rule]
    return [f.problem for f in report.findings]


def pipeline_plan(*actions: str) -> PlanBuilder:
    plan = (
        PlanBuilder()
        .role("iam", "pipeline")
        .output("pipeline_role_arn", "iam", "aws_iam_role.pipeline")
    )
    return plan.inline("iam", "run", "pipeline", allow(*actions))


EVERY_STEP = sorted(
    step_actions("Processing") | step_actions("Tuning") | step_actions("RegisterModel")
)


def test_a_pipeline_role_without_the_tuning_calls_is_reported_per_action() -> None:
    without_tuning = [a for a in EVERY_STEP if "HyperParameterTuning" not in a]
    found = findings(pipeline_plan(*without_tuning), "pipeline-role-coverage")
    named = {p.split(" needs ")[1].split(",")[0] for p in found}
    assert named == {
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
    }


def test_tag_on_create_and_pass_role_come_from_the_iam_reference() -> None:
    assert {"sagemaker:AddTags", "iam:PassRole"} <= step_actions("Tuning")
    found = findings(
        pipeline_plan(*[a for a in EVERY_STEP if a != "sagemaker:AddTags"]),
        "pipeline-role-coverage",
    )
    assert found and all("sagemaker:AddTags" in p for p in found)


def test_a_pipeline_role_with_every_call_passes_also_through_attached_policies() -> None:
    plan = (
        PlanBuilder()
        .role("iam", "pipeline")
        .output("pipeline_role_arn", "iam", "aws_iam_role.pipeline")
    )
    plan.policy("iam", "steps", allow(*EVERY_STEP)).attach("iam", "a", "steps", "pipeline")
    assert findings(plan, "pipeline-role-coverage") == []


def orchestrator_plan(*actions: str) -> PlanBuilder:
    plan = PlanBuilder().policy("iam", "orchestrator", allow(*actions))
    return plan.attach("iam", "o", "orchestrator", "var.orchestrator_role_names")


def test_a_call_the_orchestrator_makes_without_permission_is_reported() -> None:
    calls = frozenset(
        {"sagemaker:CreatePipeline", "cloudwatch:DescribeAlarms", "sts:GetCallerIdentity"}
    )
    found = findings(orchestrator_plan("sagemaker:CreatePipeline"), "orchestrator-coverage", calls)
    assert len(found) == 1 and "cloudwatch:DescribeAlarms" in found[0]
    assert (
        findings(
            orchestrator_plan("sagemaker:*", "cloudwatch:Describe*"), "orchestrator-coverage", calls
        )
        == []
    )


def test_s3_calls_map_to_their_iam_actions_and_kms() -> None:
    assert actions_for_call("s3:HeadObject") == ("s3:GetObject",)
    assert "kms:GenerateDataKey" in actions_for_call("s3:PutObject")
    assert actions_for_call("sagemaker-runtime:InvokeEndpoint") == ("sagemaker:InvokeEndpoint",)
    found = findings(
        orchestrator_plan("s3:GetObject"), "orchestrator-coverage", frozenset({"s3:GetObject"})
    )
    assert len(found) == 1 and "kms:Decrypt" in found[0]


def test_a_call_with_no_known_iam_action_is_reported() -> None:
    found = findings(
        orchestrator_plan("*"), "orchestrator-coverage", frozenset({"sagemaker:Teleport"})
    )
    assert found and "does not list" in found[0]


ADMIN_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
        }
    ],
}


def key_plan(document: dict[str, object]) -> PlanBuilder:
    import json

    return PlanBuilder().resource("kms", "aws_kms_key", "data", {"policy": json.dumps(document)})


def test_a_key_only_the_root_administers_is_unusable() -> None:
    assert findings(key_plan(ADMIN_ONLY), "kms-key-usable")


def test_a_key_that_enables_iam_or_names_its_users_is_usable() -> None:
    enables_iam = {"Statement": [{**ADMIN_ONLY["Statement"][0], "Action": "kms:*"}]}  # type: ignore[index]
    assert findings(key_plan(enables_iam), "kms-key-usable") == []
    users = {
        "Statement": [
            *ADMIN_ONLY["Statement"],
            {  # type: ignore[misc]
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/jobs"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
        ]
    }
    assert findings(key_plan(users), "kms-key-usable") == []
