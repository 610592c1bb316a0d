"""Disaster-recovery drills on the local backend (issue #22, docs/dr.md): the local registry,
artifact store and deployment history backed up with their artifacts, restored into an empty
local environment and compared field by field; the approval history (which the local registry
keeps whole) replayed; a point-in-time restore of a local-store prefix after an overwrite, a
delete and a new object, with a dry run that changes nothing."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends.local.backend import local_backend
from orchestrator.cli import main
from orchestrator.dr.registry_restore import fields
from orchestrator.flows import history
from orchestrator.settings.environment import load_environment

BASE = "mlops-local-models"  # the local stack's group for project mlops, environment local


def environment(folder: Path) -> Path:
    folder.mkdir()
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nproject: mlops\nlocal:\n  state_dir: {folder / 'state'}\n"
    )
    return folder


def cli(envs: Path, *words: str) -> list[str]:
    return [*words, "--env", "local", "--environments-dir", str(envs), "--output", "json"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and out.strip() else None, err


def seed(envs: Path, tmp: Path) -> None:
    """3 groups, 6 versions with reasons and a full approval history; 2 history events."""
    with local_backend(load_environment("local", envs)) as backend:
        base = backend.outputs.model_package_group_name
        for n, group in enumerate([base, f"{base}-iris", f"{base}-wine"]):
            backend.registry.ensure_group(group)
            for v in range(2):
                model = tmp / f"m{n}{v}.tar.gz"
                model.write_bytes(b"model %d %d" % (n, v))
                uri = f"s3://{backend.outputs.artifacts_bucket}/models/{group}/{v}/model.tar.gz"
                backend.artifacts.publish(model, uri)
                backend.registry.register(
                    group, model_data_url=uri, image_uri="local", metrics={"auc": 0.9 - v / 10},
                    metadata={"CommitId": f"abc{n}{v}", "schema_name": "x"},
                )  # fmt: skip
            backend.registry.set_status(group, 1, "Approved", "good")
            backend.registry.set_status(group, 1, "Rejected", "drifted")
            backend.registry.set_status(group, 2, "Approved", "")
        package = backend.registry.get(base, 2)
        for outcome in ("InService", "Failed"):
            history.record(backend, history.DeploymentEvent(
                at=history.now(), who="local:ci", environment="local",
                endpoint=backend.outputs.endpoint_name, command="deploy", action="created",
                outcome=outcome, package=history.PackageRecord.of(package),  # type: ignore[arg-type]
            ))  # fmt: skip


def state(envs: Path) -> dict[str, Any]:
    with local_backend(load_environment("local", envs)) as backend:
        registry = backend.registry
        groups = registry.list_groups()
        return {
            "versions": {
                g: [(p.version, fields(p)) for p in registry.list_versions(g)] for g in groups
            },
            "approvals": {
                g: [
                    [
                        (c.from_status, c.to_status, c.reason)
                        for c in registry.approval_history(g, p.version)
                    ]  # type: ignore[attr-defined]
                    for p in registry.list_versions(g)
                ]
                for g in groups
            },
            "history": [e.model_dump() for e in history.read(backend)],
            "models": {
                p.model_data_url: backend.artifacts.read_bytes(p.model_data_url)
                for g in groups
                for p in registry.list_versions(g)
            },
        }


def test_local_backup_restores_registry_history_and_artifacts_into_an_empty_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = environment(tmp_path / "home")
    seed(home, tmp_path)
    before = state(home)
    assert len(before["versions"]) == 3 and len(before["history"]) == 2
    code, made, err = run(cli(home, "backup", "--to", str(tmp_path / "b"), "--with-artifacts"),
                          capsys)  # fmt: skip
    assert code == 0, err
    assert made["versions"] == 6 and made["artifacts"] == 6 and made["history_events"] == 2

    empty = environment(tmp_path / "empty")
    code, planned, err = run(cli(empty, "restore", "--from", made["backup"], "--dry-run"), capsys)
    assert code == 0, err
    assert sum(len(g["register"]) for g in planned["groups"]) == 6
    assert not (empty / "state" / "registry.sqlite").exists() or state(empty)["versions"] == {}

    code, _, err = run(cli(empty, "restore", "--from", made["backup"]), capsys)
    assert code == 0, err
    assert state(empty) == before  # versions, statuses, reasons, metrics, lineage, history
    code, again, err = run(cli(empty, "restore", "--from", made["backup"]), capsys)
    assert code == 0 and all(g["register"] == [] for g in again["groups"]), err


def test_local_restore_refuses_a_group_with_other_versions_and_a_backup_of_another_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = environment(tmp_path / "home")
    seed(home, tmp_path)
    code, made, err = run(cli(home, "backup", "--to", str(tmp_path / "b")), capsys)
    assert code == 0, err
    other = environment(tmp_path / "other")
    with local_backend(load_environment("local", other)) as backend:
        backend.registry.ensure_group(f"{BASE}-iris")
        backend.registry.register(f"{BASE}-iris", model_data_url="s3://x/m", image_uri="local")
    code, _, err = run(cli(other, "restore", "--from", made["backup"]), capsys)
    assert code == 2 and f"group {BASE}-iris: v1 (differs in" in err
    code, _, err = run(cli(other, "restore", "--from", str(tmp_path)), capsys)
    assert code == 2 and "holds no manifest.json" in err
    code, _, err = run(cli(other, "restore", "--from", made["backup"],
                           "--artifacts-map", "nonsense"), capsys)  # fmt: skip
    assert code == 2 and "OLD_PREFIX=NEW_PREFIX" in err
    empty = environment(tmp_path / "empty")
    code, _, err = run(cli(empty, "restore", "--from", made["backup"]), capsys)
    assert code == 1 and "missing" in err and "--with-artifacts" in err  # no artifacts there


def test_local_data_restore_after_overwrite_and_delete_restores_exact_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = environment(tmp_path / "home")
    with local_backend(load_environment("local", home)) as backend:
        store, bucket = backend.artifacts, backend.outputs.data_bucket
        files = {name: tmp_path / name for name in ("a1", "b1", "a2", "c1")}
        for name, path in files.items():
            path.write_bytes(f"{name} bytes\n".encode())
        store.publish(files["a1"], f"s3://{bucket}/d/a.csv")
        store.publish(files["b1"], f"s3://{bucket}/d/b.csv")
        time.sleep(0.01)
        moment = datetime.now(UTC).isoformat()
        time.sleep(0.01)
        store.publish(files["a2"], f"s3://{bucket}/d/a.csv")
        store.delete([f"s3://{bucket}/d/b.csv"])  # type: ignore[attr-defined]
        store.publish(files["c1"], f"s3://{bucket}/d/c.csv")
    argv = cli(home, "data", "restore", "--prefix", f"s3://{bucket}/d/", "--to-time", moment)
    folder = home / "state" / "store" / bucket / "d"
    code, planned, err = run([*argv, "--dry-run"], capsys)
    assert code == 0, err
    assert sorted((c["uri"][-5:], c["action"]) for c in planned["changes"]) == [
        ("a.csv", "restore"), ("b.csv", "restore"), ("c.csv", "delete")]  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "c.csv"]
    assert (folder / "a.csv").read_bytes() == b"a2 bytes\n"

    code, done, err = run(argv, capsys)
    assert code == 0 and len(done["changes"]) == 3, err
    assert sorted(p.name for p in folder.iterdir()) == ["a.csv", "b.csv"]
    assert (folder / "a.csv").read_bytes() == b"a1 bytes\n"
    assert (folder / "b.csv").read_bytes() == b"b1 bytes\n"
    code, again, err = run(argv, capsys)
    assert code == 0 and again["changes"] == [] and again["unchanged"] == 3, err
