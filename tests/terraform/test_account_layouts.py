"""dev, staging and prod in one shared account or in three (issue #25): rendered from the same
environment files (only ``account_id`` differs), planned with Terraform, checked by the offline
preflight. In either layout no name collides across the three stacks, each account gets
exactly one endpoint-autoscaling service-linked role, each budget counts only its own
environment, and no policy names a principal twice.

The committed environment files share one placeholder account, so the shared layout is the
session's ``plans`` fixture; the separate layout is rendered here with three account ids."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tftest
from terraform_harness import ENVIRONMENTS, TERRAFORM_DIR, TERRAFORM_SHIM, copy_tree, run_terraform

from orchestrator.cli import main
from orchestrator.infra.render import render_variables
from orchestrator.preflight.gather import gather
from orchestrator.preflight.plan import StackPlan
from orchestrator.preflight.run import run_preflight
from orchestrator.settings.environment import load_environment

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER_ACCOUNT = "111122223333"
SEPARATE_ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
# Names that are unique only within their parent (a role's inline policy, a VPC's security
# group), so equal names in two stacks cannot collide.
PARENT_SCOPED = {"aws_iam_role_policy", "aws_security_group"}
NAME_ATTRIBUTES = ("name", "bucket", "alarm_name", "dashboard_name")


def environments_with_accounts(folder: Path, accounts: dict[str, str]) -> Path:
    """The committed environment files, each moved to its own account (every ARN with it)."""
    folder.mkdir(parents=True)
    for name in ENVIRONMENTS:
        text = (REPO / "environments" / f"{name}.yaml").read_text()
        (folder / f"{name}.yaml").write_text(text.replace(PLACEHOLDER_ACCOUNT, accounts[name]))
    return folder


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def managed(plan: dict[str, Any]) -> list[dict[str, Any]]:
    root = plan["planned_values"]["root_module"]
    return [r for r in _resources(root) if r["mode"] == "managed"]


def names(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(type, attribute, value) of every account-scoped name the stack gives a resource."""
    found = set()
    for resource in managed(plan):
        if resource["type"] in PARENT_SCOPED:
            continue
        for attribute in NAME_ATTRIBUTES:
            value = resource.get("values", {}).get(attribute)
            if isinstance(value, str) and value:
                found.add((resource["type"], attribute, value))
    return found


def service_linked_roles(plan: dict[str, Any]) -> list[str]:
    return [
        r.get("values", {}).get("aws_service_name")
        for r in managed(plan)
        if r["type"] == "aws_iam_service_linked_role"
    ]


@pytest.fixture(scope="module")
def separate(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Per environment of the separate layout: its config and its plans (first, applied)."""
    base = tmp_path_factory.mktemp("separate-accounts")
    folder = environments_with_accounts(base / "environments", SEPARATE_ACCOUNTS)
    workdir = copy_tree(TERRAFORM_DIR, base / "terraform")
    (workdir / "zz_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    assert run_terraform(["init", "-input=false"], workdir, tf_env).returncode == 0
    runner = tftest.TerraformTest(workdir, binary=str(TERRAFORM_SHIM), env=tf_env)
    layout = {}
    for name in ENVIRONMENTS:
        config = load_environment(name, folder)
        var_file = base / f"{name}.tfvars.json"
        var_file.write_text(json.dumps(render_variables(config)))
        state = str(base / f"{name}.tfstate")
        first = runner.plan(output=True, tf_var_file=str(var_file), state=state)
        runner.apply(tf_var_file=str(var_file), state=state)
        applied = runner.plan(output=True, tf_var_file=str(var_file), state=state, refresh=False)
        layout[name] = {"config": config, "planned": first._raw, "applied": applied._raw}
    return layout


def _collisions(plans: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    counted = Counter(name for plan in plans for name in names(plan))
    return sorted(name for name, count in counted.items() if count > 1)


def test_in_one_shared_account_no_name_collides_and_one_stack_creates_the_account_role(
    plans: dict[str, dict[str, Any]],
) -> None:
    planned = [plans[name]["planned"] for name in ENVIRONMENTS]
    assert {p["variables"]["account_id"]["value"] for p in planned} == {PLACEHOLDER_ACCOUNT}
    dev_names = names(planned[0])
    assert ("aws_budgets_budget", "name", "mlops-demo-dev-monthly") in dev_names
    assert len({kind for kind, _, _ in dev_names}) >= 10  # roles, buckets, keys, alarms, ...
    assert _collisions(planned) == []
    assert [service_linked_roles(p) for p in planned] == [
        ["sagemaker.application-autoscaling.amazonaws.com"],
        [],
        [],
    ]


def test_in_separate_accounts_no_name_collides_and_each_account_gets_its_role(
    separate: dict[str, dict[str, Any]],
) -> None:
    planned = [separate[name]["planned"] for name in ENVIRONMENTS]
    accounts = [p["variables"]["account_id"]["value"] for p in planned]
    assert accounts == [SEPARATE_ACCOUNTS[name] for name in ENVIRONMENTS]
    assert _collisions(planned) == []
    assert all(
        service_linked_roles(p) == ["sagemaker.application-autoscaling.amazonaws.com"]
        for p in planned
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_separate_layout_passes_the_offline_preflight(
    separate: dict[str, dict[str, Any]], environment: str
) -> None:
    """The shared layout's preflight is test_stack_preflight.py (the committed files)."""
    entry = separate[environment]
    report = run_preflight(gather(entry["config"], plan=StackPlan(entry["applied"]), offline=True))
    assert "iam-duplicate-principal" in report.ran
    assert [f.to_dict() for f in report.findings] == []


def test_two_environments_of_one_account_both_creating_the_account_role_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = environments_with_accounts(
        tmp_path / "environments", dict.fromkeys(ENVIRONMENTS, PLACEHOLDER_ACCOUNT)
    )
    for name in ("dev", "prod"):
        path = folder / f"{name}.yaml"
        text = path.read_text().replace(
            "  access:\n",
            "  account:\n    create_autoscaling_service_linked_role: true\n  access:\n",
            1,
        )
        path.write_text(text)
    code = main(["render", "--env", "prod", "--environments-dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"environments dev, prod share account {PLACEHOLDER_ACCOUNT}" in err
    assert "Traceback" not in err
    assert not (folder / "prod.tfvars.json").exists()
