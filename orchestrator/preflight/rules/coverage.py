"""Each principal is allowed every call it makes: the pipeline role every API call of every
step type in the definition, the orchestrator's roles every call the orchestrator makes (as
recorded by the AWS test suite), and each KMS key usable by identity policies.

The calls a step makes: the Create API of its type plus the Describe/Stop/List calls Pipelines
makes to follow and stop it (SageMaker developer guide, "Pipelines ... IAM access management"),
and the dependent actions the IAM reference lists for each (``iam:PassRole``,
``sagemaker:AddTags`` for tag-on-create).

The orchestrator's calls are the ``calls`` section of ``aws_calls.json`` only. Its
``bootstrap`` section is skipped on purpose: ``orchestrator bootstrap`` runs with an
administrator's credentials before the stack (and so these roles) exists, so holding the
orchestrator's policies to its calls would demand rights the roles must not have;
``docs/bootstrap.md`` lists the actions a bootstrap principal needs instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from orchestrator.pipeline.step_graph import flatten_steps
from orchestrator.preflight.findings import Finding
from orchestrator.preflight.iam_match import allows, listed
from orchestrator.preflight.iam_reference import dependent_actions, expand
from orchestrator.preflight.inputs import PreflightInputs
from orchestrator.preflight.plan import PolicyDocument
from orchestrator.preflight.registry import rule
from orchestrator.preflight.roles import orchestrator_policies, role_policies

STEP_CALLS: dict[str, tuple[str, ...]] = {
    "Processing": ("CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob"),
    "Training": ("CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob"),
    "Tuning": (
        "CreateHyperParameterTuningJob",
        "DescribeHyperParameterTuningJob",
        "StopHyperParameterTuningJob",
        "ListTrainingJobsForHyperParameterTuningJob",
    ),
    "Transform": ("CreateTransformJob", "DescribeTransformJob", "StopTransformJob"),
    "Model": ("CreateModel",),
    "RegisterModel": ("CreateModelPackage", "DescribeModelPackage"),
    "Condition": (),
    "Fail": (),
}
# Calls that need no permission (STS user guide: GetCallerIdentity needs none).
NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})
# botocore service name -> IAM prefix where they differ.
IAM_PREFIX = {
    "sagemaker-runtime": "sagemaker",
    "monitoring": "cloudwatch",
    "service-quotas": "servicequotas",
}
# S3 operations authorised under another action name (S3 user guide, "Amazon S3 actions"), and
# the KMS calls S3 makes with the caller's permissions for SSE-KMS objects (S3 user guide,
# "Using server-side encryption with AWS KMS keys": GenerateDataKey to write, Decrypt to read).
S3_ACTIONS: dict[str, tuple[str, ...]] = {
    "PutObject": ("s3:PutObject", "kms:GenerateDataKey"),
    "CreateMultipartUpload": ("s3:PutObject", "kms:GenerateDataKey"),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "GetObject": ("s3:GetObject", "kms:Decrypt"),
    "HeadObject": ("s3:GetObject",),
    "ListObjectsV2": ("s3:ListBucket",),
    "HeadBucket": ("s3:ListBucket",),
    "DeleteObjects": ("s3:DeleteObject",),
    "CopyObject": ("s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"),
    "ListObjectVersions": ("s3:ListBucketVersions",),
}


def actions_for_call(call: str) -> tuple[str, ...]:
    """The IAM actions a recorded call (``<botocore service>:<Operation>``) is authorised by."""
    if call in NO_PERMISSION:
        return ()
    service, _, operation = call.partition(":")
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    return (f"{IAM_PREFIX.get(service, service)}:{operation}",)


def step_actions(step_type: str) -> set[str]:
    needed: set[str] = set()
    for call in STEP_CALLS.get(step_type, ()):
        action = f"sagemaker:{call}"
        needed |= {action, *dependent_actions(action)}
    return needed


def _missing(documents: list[PolicyDocument], needed: Iterable[str]) -> list[str]:
    return sorted(action for action in set(needed) if not allows(documents, action))


@rule("pipeline-role-coverage", "the pipeline role allows every call of every step", "plan",
      "definition")  # fmt: skip
def check_pipeline_role(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None and inputs.definition is not None
    role = inputs.plan.output_resource("pipeline_role_arn")
    if role is None:
        return
    documents = role_policies(inputs.plan, role)
    for step in flatten_steps(inputs.definition):
        if step.type not in STEP_CALLS:
            problem = f"step {step.name} has type {step.type}, whose calls are not known here"
            fix = "add the type's calls to STEP_CALLS in preflight/rules/coverage.py"
            yield Finding("pipeline-role-coverage", role, problem, fix)
            continue
        for action in _missing(documents, step_actions(step.type)):
            yield Finding(
                "pipeline-role-coverage",
                role,
                f"step {step.name} ({step.type}) needs {action}, which no policy of the "
                "pipeline role allows: SageMaker fails the step with AccessDenied",
                f"allow {action} in the pipeline role's policy",
            )


@rule("orchestrator-coverage", "the orchestrator's policies allow every call it makes", "plan",
      "calls")  # fmt: skip
def check_orchestrator(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    documents = orchestrator_policies(inputs.plan)
    for call in sorted(inputs.calls):
        for action in actions_for_call(call):
            if not expand(action):
                problem = f"{call} maps to {action}, which the IAM reference does not list"
                fix = "map the call to its IAM action in preflight/rules/coverage.py"
                yield Finding("orchestrator-coverage", call, problem, fix)
            elif not allows(documents, action):
                yield Finding(
                    "orchestrator-coverage",
                    "orchestrator policies",
                    f"the orchestrator calls {call}, which needs {action}; no policy the stack "
                    "attaches to orchestrator_role_names allows it: the call is AccessDenied",
                    f"allow {action} in one of the orchestrator's managed policies",
                )


_USE = ("kms:Decrypt", "kms:GenerateDataKey")


@rule("kms-key-usable", "each KMS key can be used by the identities granted it", "plan")
def check_keys(inputs: PreflightInputs) -> Iterator[Finding]:
    assert inputs.plan is not None
    for key in (d for d in inputs.plan.policies() if d.kind == "key"):
        via_iam = any(
            all(_root_allows(statement, action) for action in _USE)
            for statement in key.statements()
        )
        named = any(
            statement.get("Effect") == "Allow"
            and not _is_root(statement)
            and all(allows([_single(statement)], action) for action in _USE)
            for statement in key.statements()
        )
        if not via_iam and not named:
            yield Finding(
                "kms-key-usable",
                key.address,
                "the key policy lets no principal use the key (Decrypt, GenerateDataKey) and "
                "does not let the account's IAM policies grant it: every encrypt and decrypt "
                "with it is AccessDenied, whatever the roles' policies say",
                "add a statement for the account root allowing the key-use actions (so IAM "
                "policies apply), or statements naming each role that uses the key",
            )


def _is_root(statement: dict[str, object]) -> bool:
    principal = statement.get("Principal")
    principals = listed(principal, "AWS") if isinstance(principal, dict) else []
    return any(v.endswith(":root") for v in principals)


def _single(statement: dict[str, object]) -> PolicyDocument:
    return PolicyDocument("key", "", "", {"Statement": [statement]})


def _root_allows(statement: dict[str, object], action: str) -> bool:
    return _is_root(statement) and allows([_single(statement)], action)
