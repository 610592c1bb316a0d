"""ECR's lifecycle policy evaluation, as the ECR user guide documents it, to test our policy.

Documented rules modelled ("Lifecycle policies in Amazon ECR", evaluation rules, and "Lifecycle
policy properties"):
- rules are applied in ascending ``rulePriority``; priorities are unique, at most one rule
  selects ``untagged`` images, and a ``tagStatus: any`` rule must have the highest priority;
- an image that matches the tagging requirements of a higher-priority rule cannot be expired by
  a lower-priority rule (whether or not the higher rule expired it);
- ``tagPrefixList``: an image matches when every listed prefix is the prefix of one of its tags;
  ``tagPatternList`` likewise with ``*`` wildcards;
- ``imageCountMoreThan N``: images sorted newest to oldest by push time, all after the N-th are
  expired; ``sinceImagePushed N days``: images pushed more than N days ago are expired.
Archive transitions (``storageClass``, ``transition``) are not modelled: our policy uses none.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StoredImage:
    digest: str
    tags: tuple[str, ...]
    pushed_days_ago: float


class PolicyInvalid(ValueError):
    pass


def _matches(rule: dict[str, Any], image: StoredImage) -> bool:
    selection = rule["selection"]
    status = selection["tagStatus"]
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    prefixes = selection.get("tagPrefixList", [])
    patterns = selection.get("tagPatternList", [])
    if not prefixes and not patterns:
        raise PolicyInvalid("tagStatus tagged needs tagPrefixList or tagPatternList")
    return all(any(tag.startswith(p) for tag in image.tags) for p in prefixes) and all(
        any(fnmatch.fnmatchcase(tag, p) for tag in image.tags) for p in patterns
    )


def check_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(rules, key=lambda rule: rule["rulePriority"])
    priorities = [rule["rulePriority"] for rule in ordered]
    if len(set(priorities)) != len(priorities):
        raise PolicyInvalid("rulePriority values must be unique")
    if sum(rule["selection"]["tagStatus"] == "untagged" for rule in ordered) > 1:
        raise PolicyInvalid("only one rule may select untagged images")
    for rule in ordered[:-1]:
        if rule["selection"]["tagStatus"] == "any":
            raise PolicyInvalid("a tagStatus any rule must have the highest rulePriority")
    return ordered


def expired(policy: dict[str, Any], images: list[StoredImage]) -> set[str]:
    """The digests the policy expires."""
    claimed: set[str] = set()
    gone: set[str] = set()
    for rule in check_rules(policy["rules"]):
        selection = rule["selection"]
        candidates = [i for i in images if i.digest not in claimed and _matches(rule, i)]
        claimed.update(i.digest for i in candidates)
        if selection["countType"] == "imageCountMoreThan":
            newest_first = sorted(candidates, key=lambda i: i.pushed_days_ago)
            gone.update(i.digest for i in newest_first[selection["countNumber"] :])
        elif selection["countType"] == "sinceImagePushed":
            gone.update(
                i.digest for i in candidates if i.pushed_days_ago > selection["countNumber"]
            )
        else:
            raise PolicyInvalid(f"countType {selection['countType']} is not modelled")
    return gone
