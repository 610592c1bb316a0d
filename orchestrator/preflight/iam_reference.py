"""AWS's IAM reference as data: every service's actions, resource types and condition keys.

Read from the ``iam_definition.json`` that the ``parliament`` package (PyPI) ships, a
machine-readable copy of the Service Authorization Reference. It lags AWS by the package's
release date: an action AWS added later reads as unknown, and the finding says to check the
reference before assuming a typo.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

SOURCE = "parliament's iam_definition.json (the Service Authorization Reference)"
# Keys every service may see (IAM user guide, "AWS global condition context keys"); parliament
# lists them in its statement module, copied here as data so nothing of it is imported.
GLOBAL_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime",
        "aws:EpochTime", "aws:FederatedProvider", "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent", "aws:PrincipalAccount", "aws:PrincipalOrgID",
        "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalTag/*",
        "aws:PrincipalType", "aws:Referer", "aws:RequestedRegion", "aws:RequestTag/*",
        "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths", "aws:ResourceTag/*",
        "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn", "aws:SourceIdentity",
        "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceOrgID", "aws:TagKeys",
        "aws:TokenIssueTime", "aws:userid", "aws:username", "aws:VpcSourceIp",
        "aws:ViaAWSService",
    )
)  # fmt: skip


@dataclass
class Service:
    prefix: str
    actions: dict[str, str] = field(default_factory=dict)  # lower-case -> as AWS spells it
    condition_keys: set[str] = field(default_factory=set)  # lower-case
    # lower-case action -> the other actions AWS checks when it is called (e.g. iam:PassRole)
    dependent: dict[str, set[str]] = field(default_factory=dict)


@cache
def reference() -> dict[str, Service]:
    """Services by IAM prefix (lower-case)."""
    raw = json.loads((resources.files("parliament") / "iam_definition.json").read_text())
    services: dict[str, Service] = {}
    for entry in raw:
        prefix = str(entry["prefix"]).lower()
        service = services.setdefault(prefix, Service(prefix))
        for privilege in entry.get("privileges", []):
            name = str(privilege["privilege"])
            service.actions[name.lower()] = name
            needs = service.dependent.setdefault(name.lower(), set())
            for resource_type in privilege.get("resource_types", []):
                service.condition_keys.update(k.lower() for k in resource_type["condition_keys"])
                needs.update(str(a) for a in resource_type.get("dependent_actions", []))
        service.condition_keys.update(str(c["condition"]).lower() for c in entry["conditions"])
        for resource in entry.get("resources", []):
            service.condition_keys.update(k.lower() for k in resource.get("condition_keys", []))
    return services


def expand(action: str) -> list[str]:
    """The actions ``action`` (``service:Name``, wildcards allowed) names; [] when none."""
    prefix, _, name = action.partition(":")
    service = reference().get(prefix.lower())
    if service is None or not name:
        return []
    pattern = name.lower()
    return [
        f"{prefix.lower()}:{spelled}"
        for lower, spelled in service.actions.items()
        if fnmatch.fnmatchcase(lower, pattern)
    ]


_PLACEHOLDER = re.compile(r"\\\$\\\{[^}]*\\\}|<[^>]*>|\\\*")


@cache
def _key_regex(pattern: str) -> re.Pattern[str]:
    """A reference key as a regex: placeholders (``${TagKey}``, ``<key>``, ``*``) match any
    non-empty text, as in ``aws:RequestTag/${TagKey}`` or ``kms:EncryptionContext:${Key}``."""
    return re.compile(_PLACEHOLDER.sub(".+", re.escape(pattern)))


def _key_pattern_matches(pattern: str, key: str) -> bool:
    return _key_regex(pattern).fullmatch(key) is not None


def condition_key_known(key: str) -> bool:
    """Whether a Condition key is global or one some service defines."""
    lower = key.lower()
    if any(_key_pattern_matches(k, lower) for k in GLOBAL_CONDITION_KEYS):
        return True
    service = reference().get(lower.partition(":")[0])
    return service is not None and any(
        _key_pattern_matches(k, lower) for k in service.condition_keys
    )


def dependent_actions(action: str) -> set[str]:
    """The actions the reference says ``action`` also needs (its "dependent actions")."""
    prefix, _, name = action.partition(":")
    service = reference().get(prefix.lower())
    return set(service.dependent.get(name.lower(), set())) if service else set()
