"""Records every AWS API call the orchestrator's own code makes while the tests run, so the
preflight can check the orchestrator's IAM policies against what it really calls.

The record is ``orchestrator/preflight/aws_calls.json``. A test session that sees the
orchestrator make a call the record lacks fails at the end and names the calls; run the suite
with ``MLOPS_RECORD_AWS_CALLS=1`` to add them (then review the diff: each new call is a new
permission the orchestrator's policies must grant). Calls test code makes itself (fixtures
creating buckets, scripting moto) have no orchestrator frame and are not recorded; nor are calls
whose outermost orchestrator frame is a protocol method no command reaches on AWS
(``NOT_REACHED``: registering a model package directly, as the conformance suite does, where
production leaves it to the pipeline's RegisterModel step under the pipeline role).

Calls made from ``orchestrator/bootstrap/`` are recorded apart, under ``bootstrap``: that
command runs with an administrator's credentials before the stack (and so the orchestrator's
roles) exists, so its calls are never the orchestrator role's to allow. The preflight reads only
``calls``; ``docs/bootstrap.md`` lists the IAM actions the ``bootstrap`` calls need.

Work the orchestrator hands to a thread pool (boto3's managed uploads and downloads run their
PutObject/UploadPart/GetObject calls in s3transfer's worker threads, whose stacks hold no
orchestrator frame) counts as the orchestrator's: a task submitted from orchestrator code, or
from such a task, is marked for its thread.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

REPO = Path(__file__).resolve().parents[1]
ORCHESTRATOR = str(REPO / "orchestrator") + os.sep
BOOTSTRAP = str(REPO / "orchestrator" / "bootstrap") + os.sep
NOT_REACHED = {
    (str(REPO / "orchestrator" / "backends" / "aws" / "registry.py"), "register"),
}
RECORD = REPO / "orchestrator" / "preflight" / "aws_calls.json"
UPDATE_ENV = "MLOPS_RECORD_AWS_CALLS"
SECTIONS = ("calls", "bootstrap")  # the principal a call is made as: orchestrator, bootstrap
_seen: dict[str, set[str]] = {section: set() for section in SECTIONS}
_original = BaseClient._make_api_call
_original_submit = ThreadPoolExecutor.submit
_worker = (
    threading.local()
)  # .for_orchestrator: this thread runs a task the orchestrator handed off


def _section(depth: int = 2) -> str | None:
    """``bootstrap`` for a call from orchestrator/bootstrap/, ``calls`` for other orchestrator
    code, None for test code and the protocol methods no command reaches."""
    if getattr(_worker, "for_orchestrator", False):
        return "calls"
    outermost = None
    bootstrap = False
    frame = sys._getframe(depth)
    while frame is not None:
        if frame.f_code.co_filename.startswith(ORCHESTRATOR):
            outermost = (frame.f_code.co_filename, frame.f_code.co_name)
            bootstrap = bootstrap or frame.f_code.co_filename.startswith(BOOTSTRAP)
        frame = frame.f_back  # type: ignore[assignment]
    if outermost is None or outermost in NOT_REACHED:
        return None
    return "bootstrap" if bootstrap else "calls"


def _from_orchestrator(depth: int = 2) -> bool:
    return _section(depth + 1) == "calls"


def _submit(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    if not _from_orchestrator(depth=2):
        return _original_submit(self, fn, *args, **kwargs)

    def handed_off(*inner_args: Any, **inner_kwargs: Any) -> Any:
        _worker.for_orchestrator = True
        try:
            return fn(*inner_args, **inner_kwargs)
        finally:
            _worker.for_orchestrator = False

    return _original_submit(self, handed_off, *args, **kwargs)


def _recording(self: BaseClient, operation_name: str, api_params: Any) -> Any:
    section = _section()
    if section is not None:
        _seen[section].add(f"{self.meta.service_model.service_name}:{operation_name}")
    return _original(self, operation_name, api_params)


def _shared_dir(config: pytest.Config) -> Path:
    folder = Path(str(config.rootpath)) / ".pytest_cache" / "aws-calls"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    BaseClient._make_api_call = _recording  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = _submit  # type: ignore[method-assign]
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        for stale in _shared_dir(config).glob("*.json"):
            stale.unlink()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker is not None:
        seen_here = {section: sorted(calls) for section, calls in _seen.items()}
        (_shared_dir(config) / f"{worker}.json").write_text(json.dumps(seen_here))
        return
    seen = {section: set(calls) for section, calls in _seen.items()}
    for part in _shared_dir(config).glob("*.json"):
        for section, calls in json.loads(part.read_text()).items():
            seen[section].update(calls)
    recorded = json.loads(RECORD.read_text())
    committed = {section: set(recorded.get(section, [])) for section in SECTIONS}
    missing = {s: sorted(seen[s] - committed[s]) for s in SECTIONS if seen[s] - committed[s]}
    if not missing:
        return
    if os.environ.get(UPDATE_ENV) == "1":
        updated = {s: sorted(committed[s] | seen[s]) for s in SECTIONS}
        RECORD.write_text(json.dumps(updated, indent=2) + "\n")
        return
    listed = "; ".join(f"{s}: {', '.join(calls)}" for s, calls in missing.items())
    print(
        f"\nthe orchestrator made AWS calls that {RECORD.relative_to(REPO)} does not list "
        f"({listed}); run the tests with {UPDATE_ENV}=1 to record them, then check that the "
        "orchestrator's IAM policies allow the `calls` (orchestrator preflight) and that "
        "docs/bootstrap.md lists the actions of the `bootstrap` ones",
        file=sys.stderr,
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
