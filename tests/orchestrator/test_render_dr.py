"""``terraform.dr`` in an environment file (orchestrator/settings/disaster_recovery.py) becomes
the root module's ``replication``, ``object_lock`` and ``backup`` variables, off unless the file
turns them on, and is refused with the module's own rules before Terraform runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.errors import ConfigError
from orchestrator.infra.render import render_text
from orchestrator.infra.variables import declared_variables, describe_type
from orchestrator.settings.disaster_recovery import RECOVERY_WINDOW_DAYS
from orchestrator.settings.environment import load_environment

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = REPO / "environments"
TERRAFORM = REPO / "terraform"


@pytest.fixture
def envdir(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def set_dr(folder: Path, name: str, dr: dict[str, Any], **terraform: Any) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    data["terraform"]["dr"] = dr
    for dotted, value in terraform.items():
        section, key = dotted.split("__")
        data["terraform"][section][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def rendered(folder: Path, name: str) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(render_text(load_environment(name, folder)))
    return values


def test_dr_is_off_unless_the_file_turns_it_on() -> None:
    for name in ("dev", "staging"):
        values = rendered(ENVIRONMENTS, name)
        assert values["replication"] == {
            "enabled": False,
            "region": None,
            "buckets": ["data", "artifacts"],
            "time_control": False,
        }
        assert values["object_lock"] == {"enabled": False, "retention_days": 30}
        assert values["backup"]["enabled"] is False


def test_prod_replicates_locks_and_backs_up() -> None:
    values = rendered(ENVIRONMENTS, "prod")
    assert values["replication"] == {
        "enabled": True,
        "region": "eu-central-1",
        "buckets": ["data", "artifacts"],
        "time_control": False,
    }
    assert values["object_lock"] == {"enabled": True, "retention_days": 30}
    assert values["backup"] == {
        "enabled": True,
        "schedule": "cron(0 3 * * ? *)",
        "retention_days": 35,
        "state_bucket_name": None,
    }
    assert values["noncurrent_version_retention_days"] >= RECOVERY_WINDOW_DAYS


def test_the_root_module_declares_the_dr_variables_as_typed_optional_objects() -> None:
    declared = declared_variables(TERRAFORM)
    assert describe_type(declared["replication"].type) == (
        "object({buckets = optional(list(string)), enabled = bool, region = optional(string), "
        "time_control = optional(bool)})"
    )
    assert describe_type(declared["object_lock"].type) == (
        "object({enabled = bool, retention_days = optional(number)})"
    )
    assert set(declared["backup"].type[1]) == {
        "enabled",
        "schedule",
        "retention_days",
        "state_bucket_name",
    }
    assert not any(declared[name].required for name in ("replication", "object_lock", "backup"))


def test_one_bucket_and_a_named_state_bucket_render(envdir: Path) -> None:
    set_dr(
        envdir,
        "staging",
        {
            "replication": {
                "enabled": True,
                "region": "us-east-1",
                "buckets": ["artifacts"],
                "time_control": True,
            },
            "backup": {"enabled": True, "state_bucket_name": "my-state", "retention_days": 7},
        },
    )
    values = rendered(envdir, "staging")
    assert values["replication"]["buckets"] == ["artifacts"]
    assert values["replication"]["time_control"] is True
    assert values["backup"]["state_bucket_name"] == "my-state"
    assert values["backup"]["retention_days"] == 7


@pytest.mark.parametrize(
    ("dr", "terraform", "message"),
    [
        (
            {"replication": {"enabled": True, "region": "eu-west-1"}},
            {},
            r"dr\.replication\.region: eu-west-1 is the stack's own region",
        ),
        (
            {"replication": {"enabled": True}},
            {},
            r"dr\.replication\.region: name the replica region",
        ),
        (
            {"replication": {"enabled": True, "region": "Frankfurt"}},
            {},
            r"'Frankfurt' is not an AWS region code",
        ),
        (
            {"replication": {"enabled": True, "region": "us-east-1", "buckets": ["access_logs"]}},
            {},
            r"dr\.replication\.buckets\.0: .*'data' or 'artifacts'",
        ),
        (
            {"replication": {"buckets": ["data", "data"]}},
            {},
            r"repeats a bucket",
        ),
        ({"object_lock": {"enabled": True, "retention_days": 0}}, {}, r"retention_days"),
        (
            {"object_lock": {"enabled": True}},
            {"safety__force_destroy": True},
            r"dr\.object_lock: cannot be enabled with terraform\.safety\.force_destroy",
        ),
        ({"backup": {"enabled": True, "retention_days": 0}}, {}, r"backup\.retention_days"),
        ({"backup": {"enabled": True, "schedule": "daily"}}, {}, r"backup\.schedule"),
        ({"backup": {"state_bucket_name": "s3://x"}}, {}, r"is not an S3 bucket name"),
        ({"mirror": {}}, {}, r"dr\.mirror: unknown key"),
        (
            {},
            {"retention__noncurrent_version_days": RECOVERY_WINDOW_DAYS - 1},
            rf"shorter than the {RECOVERY_WINDOW_DAYS}-day recovery window",
        ),
        ({}, {"retention__noncurrent_version_days": 0}, r"noncurrent_version_days"),
    ],
)
def test_bad_dr_settings_name_the_file_and_key(
    envdir: Path, dr: dict[str, Any], terraform: dict[str, Any], message: str
) -> None:
    set_dr(envdir, "dev", dr, **terraform)
    with pytest.raises(ConfigError, match=message) as raised:
        load_environment("dev", envdir)
    assert "dev.yaml" in str(raised.value)
