"""Step retry policies: the environment's setting, the ``RetryPolicies`` every step that takes
them carries, their checks, and what a policy means when a step fails.

Sources (docs/aws-behaviours.md, "Retry policies"):

- SageMaker developer guide, "Retry Policy for Pipeline Steps"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-retry-policy.html): the step types
  that take a policy, the exception types, and the fields ``ExceptionType`` (a list),
  ``IntervalSeconds`` (default 1, at most 43200), ``BackoffRate`` (default 2.0), ``MaxAttempts``
  (the most *retry* attempts, default 5, at most 20, 0 never retries) or ``ExpireAfterMin`` (at
  most 14400), never both.
- The SageMaker Python SDK, ``sagemaker/workflow/retry.py``: ``RetryPolicy.to_request`` emits
  ``BackoffRate``, ``IntervalSeconds``, then ``MaxAttempts`` or ``ExpireAfterMin`` (exactly one),
  and ``StepRetryPolicy``/``SageMakerJobStepRetryPolicy`` add ``ExceptionType``; it asserts
  ``1 <= max_attempts <= 20``, ``0 <= expire_after_mins <= 14400``, ``backoff_rate >= 0`` and
  ``interval_seconds >= 0``. Our policies have that shape, key order included.
- The pipeline definition JSON schema (aws-sagemaker-mlops/
  sagemaker-model-building-pipeline-definition-JSON-schema, ``definitions/RetryPolicy``): the
  same five fields and exception names (it types ``ExceptionType`` as one string, where the guide
  and the SDK use a list; we follow the guide and the SDK, which is what SageMaker receives).

Which exception types apply to which step type is the step-type registry's
(``StepType.retry_exceptions``), so this module never lists step types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeGuard

from pydantic import Field

from orchestrator.pipeline import step_types
from orchestrator.pipeline.step_graph import flatten_steps
from orchestrator.pipeline.step_types.registry import JOB_EXCEPTIONS, STEP_EXCEPTIONS
from orchestrator.settings.strict import StrictModel

RETRY_POLICIES: Final = "RetryPolicies"
EXCEPTION_TYPES: Final = STEP_EXCEPTIONS + JOB_EXCEPTIONS
MAX_ATTEMPTS_CAP: Final = 20  # the guide's and the SDK's MAX_ATTEMPTS_CAP
MAX_EXPIRE_AFTER_MIN: Final = 14_400  # 10 days; the guide's and the SDK's MAX_EXPIRE_AFTER_MIN
MAX_INTERVAL_SECONDS: Final = 43_200  # 12 hours, the guide's maximum
# SageMaker's values for a field a policy leaves out (the guide).
DEFAULT_INTERVAL_SECONDS: Final = 1
DEFAULT_BACKOFF_RATE: Final = 2.0
DEFAULT_MAX_ATTEMPTS: Final = 5
_KEYS: Final = ("BackoffRate", "IntervalSeconds", "MaxAttempts", "ExpireAfterMin", "ExceptionType")


class RetrySettings(StrictModel):
    """``pipeline.retry`` of an environment file: one policy for the transient failures of every
    step that takes RetryPolicies. ``max_attempts`` counts retries after the first failure, as
    SageMaker's MaxAttempts does (3: a job runs at most 4 times); the wait before retry ``n`` is
    ``interval_seconds * backoff_rate ** (n - 1)``. ``enabled: false`` writes no RetryPolicies
    (SageMaker then retries only its own Step.SERVICE_FAULT/Step.THROTTLING defaults)."""

    enabled: bool = True
    max_attempts: int = Field(default=3, ge=1, le=MAX_ATTEMPTS_CAP)
    interval_seconds: int = Field(default=30, ge=1, le=MAX_INTERVAL_SECONDS)
    # At least 1 so that waits never shrink (SageMaker would take any rate >= 0); at most 10 so
    # that a typo cannot turn the third retry into a wait of days.
    backoff_rate: float = Field(default=2.0, ge=1.0, le=10.0)


def retry_policies(exceptions: tuple[str, ...], settings: RetrySettings) -> list[dict[str, Any]]:
    """The RetryPolicies of a step whose type retries ``exceptions``: one policy for the step's
    own call failures (Step.*), one for its job's (SageMaker.*), in the SDK's key order."""
    policies = []
    for group in (STEP_EXCEPTIONS, JOB_EXCEPTIONS):
        named = [e for e in group if e in exceptions]
        if named:
            policies.append(
                {
                    "BackoffRate": settings.backoff_rate,
                    "IntervalSeconds": settings.interval_seconds,
                    "MaxAttempts": settings.max_attempts,
                    "ExceptionType": named,
                }
            )
    return policies


def add_retry_policies(document: Mapping[str, Any], settings: RetrySettings) -> None:
    """Give every step (branches included) whose type takes RetryPolicies its policies."""
    if not settings.enabled:
        return
    for info in flatten_steps(document):
        kind = step_types.get(info.type)
        if kind is not None and kind.retry_exceptions:
            info.body[RETRY_POLICIES] = retry_policies(kind.retry_exceptions, settings)


def check_retry_policies(where: str, step_type: str, policies: Any) -> list[str]:
    """Problems of a step's RetryPolicies (None: the step has none) against the guide and SDK."""
    if policies is None:
        return []
    kind = step_types.get(step_type)
    if kind is not None and not kind.retry_exceptions:
        return [f"{where}: a {step_type} step takes no RetryPolicies (pipelines-retry-policy)"]
    if not isinstance(policies, list):
        return [f"{where}: RetryPolicies must be a list of retry policies"]
    problems = []
    for index, policy in enumerate(policies):
        at = f"{where}: RetryPolicies[{index}]"
        if not isinstance(policy, dict):
            problems.append(f"{at} must be an object with ExceptionType and its retry limits")
            continue
        problems += [
            f"{at}: unknown key {key!r}; a retry policy has {list(_KEYS)}"
            for key in policy
            if key not in _KEYS
        ]
        problems += _check_exception_types(at, policy.get("ExceptionType"))
        problems += _check_limits(at, policy)
    return problems


def _check_exception_types(at: str, types: Any) -> list[str]:
    if not isinstance(types, list) or not types:
        return [f"{at}: ExceptionType must be a non-empty list of {list(EXCEPTION_TYPES)}"]
    problems = [
        f"{at}: ExceptionType {item!r} is not one of {list(EXCEPTION_TYPES)}"
        for item in types
        if item not in EXCEPTION_TYPES
    ]
    if len(set(map(str, types))) != len(types):
        problems.append(f"{at}: ExceptionType names a type twice")
    return problems


def _check_limits(at: str, policy: Mapping[str, Any]) -> list[str]:
    problems = []
    for key, low, high in (
        ("IntervalSeconds", 0, MAX_INTERVAL_SECONDS),
        ("MaxAttempts", 0, MAX_ATTEMPTS_CAP),
        ("ExpireAfterMin", 0, MAX_EXPIRE_AFTER_MIN),
    ):
        value = policy.get(key)
        if key in policy and not (_is_int(value) and low <= value <= high):
            problems.append(
                f"{at}: {key} must be a whole number from {low} to {high}, not {value!r}"
            )
    rate = policy.get("BackoffRate")
    if "BackoffRate" in policy and not (_is_number(rate) and rate >= 0):
        problems.append(f"{at}: BackoffRate must be a number >= 0, not {rate!r}")
    if "MaxAttempts" in policy and "ExpireAfterMin" in policy:
        problems.append(f"{at}: give MaxAttempts or ExpireAfterMin, not both (SageMaker refuses)")
    return problems


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def retry_delay(
    policies: Any, exception_type: str, retries_done: int, minutes_since_start: float
) -> float | None:
    """Seconds to wait before retrying a step that failed with ``exception_type`` after
    ``retries_done`` retries, under its RetryPolicies; None when the policies say it fails now.

    The first policy naming the type decides (``MaxAttempts`` retries, default 5; or retries
    until ``ExpireAfterMin`` minutes after the step started); the wait before retry ``n`` is
    ``IntervalSeconds * BackoffRate ** (n - 1)``.
    """
    for policy in policies if isinstance(policies, list) else []:
        if not isinstance(policy, dict) or exception_type not in (
            policy.get("ExceptionType") or []
        ):
            continue
        if "ExpireAfterMin" in policy:
            if minutes_since_start >= float(policy["ExpireAfterMin"]):
                return None
        elif retries_done >= int(policy.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)):
            return None
        interval = float(policy.get("IntervalSeconds", DEFAULT_INTERVAL_SECONDS))
        rate = float(policy.get("BackoffRate", DEFAULT_BACKOFF_RATE))
        return interval * rate**retries_done
    return None
