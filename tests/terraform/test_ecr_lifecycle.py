"""The registry module's lifecycle policy, as planned for each environment, evaluated with ECR's
documented rules (ecr_lifecycle.py): images the orchestrator protected are never expired, the
rest are kept to the environment's count, untagged ones expire after their days. The same
evaluation of the policy without the protection rule expires protected images: the test can
fail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ecr_lifecycle import PolicyInvalid, StoredImage, check_rules, expired
from test_terraform_plan import ENVIRONMENTS, of_type  # the plans fixture is in conftest.py

from orchestrator.images.repository import protection_tag


def lifecycle_policy(plan: dict[str, Any]) -> dict[str, Any]:
    root = plan["planned_values"]["root_module"]
    (policy,) = of_type(root, "aws_ecr_lifecycle_policy")
    return json.loads(policy["values"]["policy"])


def history(count: int, protected_every: int) -> list[StoredImage]:
    """``count`` commits pushed a day apart, oldest first protected every Nth, plus untagged
    leftovers of interrupted pushes."""
    images = []
    for day in range(count):
        digest = f"sha256:{day:064x}"
        tags: tuple[str, ...] = (f"{day:012x}",)
        if day % protected_every == 0:
            tags += (protection_tag(digest),)
        images.append(StoredImage(digest, tags, pushed_days_ago=count - day))
    images += [StoredImage(f"sha256:{'f' * 63}{n}", (), pushed_days_ago=n * 5) for n in range(4)]
    return images


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_protected_images_are_never_expired(plans: dict, environment: str) -> None:
    policy = lifecycle_policy(plans[environment]["planned"])
    keep = next(r for r in policy["rules"] if r["selection"]["tagStatus"] == "any")
    kept_count = keep["selection"]["countNumber"]
    images = history(count=kept_count * 3, protected_every=7)
    gone = expired(policy, images)
    protected = {i.digest for i in images if any(t.startswith("keep-") for t in i.tags)}
    assert protected and not (protected & gone)
    unprotected_tagged = [i for i in images if i.tags and i.digest not in protected]
    survivors = [i for i in unprotected_tagged if i.digest not in gone]
    assert len(survivors) == kept_count  # the newest, by push time
    assert max(i.pushed_days_ago for i in survivors) < min(
        i.pushed_days_ago for i in unprotected_tagged if i.digest in gone
    )
    untagged_gone = {i.digest for i in images if not i.tags and i.pushed_days_ago > 7}
    assert untagged_gone <= gone


def test_without_the_protection_rule_protected_images_expire(plans: dict) -> None:
    policy = lifecycle_policy(plans["dev"]["planned"])
    unprotected = {"rules": [r for r in policy["rules"] if "tagPrefixList" not in r["selection"]]}
    images = history(count=100, protected_every=7)
    protected = {i.digest for i in images if any(t.startswith("keep-") for t in i.tags)}
    assert protected & expired(unprotected, images)


def test_the_evaluator_refuses_what_ecr_refuses() -> None:
    count = {"countType": "imageCountMoreThan", "countNumber": 1}
    any_first = [
        {"rulePriority": 1, "selection": {"tagStatus": "any", **count}},
        {"rulePriority": 2, "selection": {"tagStatus": "untagged", **count}},
    ]
    with pytest.raises(PolicyInvalid, match="highest rulePriority"):
        check_rules(any_first)
    with pytest.raises(PolicyInvalid, match="unique"):
        check_rules([any_first[1], {**any_first[1], "selection": {"tagStatus": "any"}}])
