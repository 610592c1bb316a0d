"""What the local SQLite registry adds to the conformance suite: durability across processes,
atomic registration under SIGKILL, racing registrations, ARNs and the approval history."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.backends.local.registry import LOCAL_ACCOUNT, LOCAL_REGION, LocalModelRegistry
from orchestrator.backends.model_registry import RegistryError

GROUP = "demo-model"
IMAGE = "local/ml:latest"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_arn_is_shaped_like_sagemakers(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "r.sqlite")
    registry.ensure_group(GROUP)
    package = registry.register(GROUP, model_data_url="s3://b/m.tar.gz", image_uri=IMAGE)
    assert package.arn == (
        f"arn:aws:sagemaker:{LOCAL_REGION}:{LOCAL_ACCOUNT}:model-package/{GROUP}/1"
    )
    assert registry.get_by_arn(package.arn) == package
    with pytest.raises(RegistryError, match="not a versioned model package ARN"):
        registry.get_by_arn("arn:aws:sagemaker:local:0:model-package-group/demo-model")


def test_state_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "registry.sqlite"
    first = LocalModelRegistry(path)
    first.ensure_group(GROUP)
    first.register(GROUP, model_data_url="s3://b/1.tar.gz", image_uri=IMAGE, metrics={"auc": 0.9})
    second = LocalModelRegistry(path)
    assert second.list_groups() == [GROUP]
    assert second.get(GROUP, 1).metrics == {"auc": 0.9}
    assert second.register(GROUP, model_data_url="s3://b/2.tar.gz", image_uri=IMAGE).version == 2


def test_status_changes_record_reason_and_time(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "r.sqlite")
    registry.ensure_group(GROUP)
    package = registry.register(GROUP, model_data_url="s3://b/1.tar.gz", image_uri=IMAGE)
    assert package.status_changed_at is None
    approved = registry.set_status(GROUP, 1, "Approved", reason="auc above gate")
    assert approved.status_changed_at is not None
    assert approved.status_changed_at >= package.created_at
    registry.set_status(GROUP, 1, "Rejected", reason="drift in production")
    history = registry.status_history(GROUP, 1)
    assert [(h["from"], h["to"], h["reason"]) for h in history] == [
        (None, "PendingManualApproval", "registered"),
        ("PendingManualApproval", "Approved", "auc above gate"),
        ("Approved", "Rejected", "drift in production"),
    ]
    # A refused transition leaves no trace.
    with pytest.raises(RegistryError):
        registry.set_status(GROUP, 1, "PendingManualApproval")
    assert len(registry.status_history(GROUP, 1)) == 3


def test_bad_metrics_are_refused_without_a_row(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "r.sqlite")
    registry.ensure_group(GROUP)
    with pytest.raises(RegistryError, match="finite"):
        registry.register(
            GROUP, model_data_url="s3://b/1.tar.gz", image_uri=IMAGE, metrics={"auc": float("nan")}
        )
    with pytest.raises(RegistryError, match="not a number"):
        bad_metrics: dict[str, Any] = {"auc": "high"}
        registry.register(
            GROUP, model_data_url="s3://b/1.tar.gz", image_uri=IMAGE, metrics=bad_metrics
        )
    assert registry.list_versions(GROUP) == []


def test_a_file_that_is_not_a_registry_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"this is not an sqlite database" * 100)
    with pytest.raises(RegistryError, match="cannot open the model registry database"):
        LocalModelRegistry(path)


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    LocalModelRegistry(path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(RegistryError, match="schema version 99"):
        LocalModelRegistry(path)


_REGISTER_LOOP = """
    import sys
    from orchestrator.backends.local.registry import LocalModelRegistry
    registry = LocalModelRegistry(sys.argv[1])
    registry.ensure_group("demo-model")
    number = 0
    while True:
        number += 1
        package = registry.register(
            "demo-model",
            model_data_url=f"s3://models/{number}/model.tar.gz",
            image_uri="local/ml:latest",
            metrics={"auc": 0.5 + number / 1e6},
            metadata={"writer": "loop", "number": str(number)},
            description="x" * 2000,
        )
        registry.set_status("demo-model", package.version, "Approved", reason="loop")
        print(package.version, flush=True)
"""


def test_sigkill_mid_registration_leaves_whole_rows_and_contiguous_versions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.sqlite"
    LocalModelRegistry(path)
    process = _run_python(_REGISTER_LOOP, str(path))
    assert process.stdout is not None
    printed = 0
    deadline = time.monotonic() + 30
    while printed < 25 and time.monotonic() < deadline:
        if process.stdout.readline():
            printed += 1
    os.kill(process.pid, signal.SIGKILL)  # lands mid-transaction or between them: both must hold
    process.wait(timeout=10)
    assert printed == 25, process.stderr.read() if process.stderr else ""

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    registry = LocalModelRegistry(path)
    versions = registry.list_versions(GROUP)
    assert len(versions) >= 25
    assert [p.version for p in versions] == list(range(1, len(versions) + 1))
    for package in versions:
        assert package.model_data_url == f"s3://models/{package.version}/model.tar.gz"
        assert package.metadata == {"writer": "loop", "number": str(package.version)}
        assert len(package.description) == 2000
    # Every version but possibly the last got its approval; history rows match the state.
    assert all(p.approval_status == "Approved" for p in versions[:-1])
    for package in versions:
        history = registry.status_history(GROUP, package.version)
        assert history[-1]["to"] == package.approval_status
    # And the registry keeps working after the crash.
    after = registry.register(GROUP, model_data_url="s3://models/after", image_uri=IMAGE)
    assert after.version == len(versions) + 1


_RACER = """
    import json, sys, time
    from pathlib import Path
    from orchestrator.backends.local.registry import LocalModelRegistry
    registry = LocalModelRegistry(sys.argv[1])
    registry.ensure_group("demo-model")
    go = Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    versions = [
        registry.register(
            "demo-model", model_data_url=f"s3://m/{sys.argv[3]}/{n}", image_uri="local/ml"
        ).version
        for n in range(int(sys.argv[4]))
    ]
    print(json.dumps(versions))
"""


def test_racing_processes_get_distinct_versions(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    go = tmp_path / "go"
    writers, each = 4, 15
    processes = [_run_python(_RACER, str(path), str(go), str(w), str(each)) for w in range(writers)]
    time.sleep(1.0)  # let every writer open the registry and wait at the line
    go.touch()
    got: list[list[int]] = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        got.append(json.loads(out))
    every = sorted(v for versions in got for v in versions)
    assert every == list(range(1, writers * each + 1))  # distinct and contiguous
    for versions in got:
        assert versions == sorted(versions)  # each writer sees its own versions increase
    registry = LocalModelRegistry(path)
    by_version = {p.version: p.model_data_url for p in registry.list_versions(GROUP)}
    for writer, versions in enumerate(got):
        urls = [by_version[v] for v in versions]
        assert urls == [f"s3://m/{writer}/{n}" for n in range(each)]
