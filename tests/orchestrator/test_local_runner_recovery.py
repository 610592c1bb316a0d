"""Crash safety of the local runner: a runner killed with SIGKILL mid-step is reported as
crashed, publishes nothing half-written, and a new run completes, reusing the finished steps and
stopping the job the dead runner left behind. Plus the artifact store's atomic publish and its
recovery from a kill between renames."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_runner_support import definition, get, processing_step

from orchestrator.backends.local.artifacts import ArtifactStore
from orchestrator.backends.local.errors import ArtifactError
from orchestrator.backends.local.runner import LocalRunner

CHILD = """
import sys
from pathlib import Path
from orchestrator.backends.local.runner import LocalRunner
store, state, definition_path = sys.argv[1:4]
LocalRunner(store, state, None).start(Path(definition_path).read_text(), {}, "recover")
"""


def pipeline(tmp_path: Path) -> dict:
    first = processing_step(
        "Prepare",
        "from ml_containers.paths import reroot as P\n"
        f"open({str(tmp_path / 'prepare-runs.txt')!r}, 'a').write('run\\n')\n"
        "(P('/opt/ml/processing/out') / 'prepared.csv').write_text('1,2,3\\n')\n",
        outputs=[("out", "s3://bucket/prepared", "/opt/ml/processing/out")],
        cache=True,
    )
    slow = processing_step(
        "Slow",
        "import os, time\nfrom ml_containers.paths import reroot as P\n"
        "data = (P('/opt/ml/processing/in') / 'prepared.csv').read_text()\n"
        "out = P('/opt/ml/processing/out') / 'result.csv'\n"
        "out.write_text('half')\n"
        f"flag = {str(tmp_path / 'slow-started')!r}\n"
        "if not os.path.exists(flag):\n"
        "    open(flag, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n"
        "out.write_text(data + 'complete\\n')\n",
        inputs=[
            (
                "in",
                get("Steps.Prepare.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri"),
                "/opt/ml/processing/in",
            )
        ],
        outputs=[("out", "s3://bucket/result", "/opt/ml/processing/out")],
        cache=True,
    )
    return definition([first, slow])


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="uses /proc to watch the orphaned job")
def test_sigkill_mid_step_then_rerun_completes_and_reuses_finished_steps(tmp_path: Path):
    store, state = tmp_path / "store", tmp_path / "state"
    definition_path = tmp_path / "definition.json"
    definition_path.write_text(json.dumps(pipeline(tmp_path)))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(store), str(state), str(definition_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    flag = tmp_path / "slow-started"
    deadline = time.monotonic() + 60
    while not (flag.exists() and flag.read_text()):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the Slow step never started"
        time.sleep(0.05)
    orphan = int(flag.read_text())
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    runner = LocalRunner(store, state, None)
    [crashed] = runner.list_executions()
    assert crashed.status == "Crashed" and "ended without finishing" in crashed.failure_reason
    assert {s.name: s.status for s in crashed.steps} == {"Prepare": "Succeeded", "Slow": "Crashed"}
    assert not runner.store.exists("s3://bucket/result")  # the half-written file stayed private
    assert running(orphan)

    execution = runner.start(definition_path.read_text(), {}, "recover")

    assert execution.status == "Succeeded", execution.failure_reason
    assert execution.step("Prepare").cache_hit_source == crashed.execution_id
    assert execution.step("Slow").cache_hit_source is None
    assert (tmp_path / "prepare-runs.txt").read_text().count("run") == 1
    result = runner.store.path("s3://bucket/result") / "result.csv"
    assert result.read_text() == "1,2,3\ncomplete\n"
    assert not running(orphan), "the dead runner's job was left running"
    assert not (state / "work" / crashed.execution_id).exists()
    leftovers = [p for p in store.rglob("*") if p.name.startswith((".partial-", ".retired-"))]
    assert leftovers == []
    assert runner.describe(crashed.execution_id).status == "Crashed"


def test_publish_replaces_a_directory_whole(tmp_path: Path):
    store = ArtifactStore(tmp_path / "store")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    (first / "old.csv").write_text("old")
    second.mkdir()
    (second / "new.csv").write_text("new")
    store.publish(first, "s3://b/data")
    store.publish(second, "s3://b/data")
    assert sorted(p.name for p in store.path("s3://b/data").iterdir()) == ["new.csv"]
    assert sorted(p.name for p in (tmp_path / "store" / "b").iterdir()) == ["data"]


def test_recover_drops_staged_copies_and_rolls_back_a_half_done_swap(tmp_path: Path):
    store = ArtifactStore(tmp_path / "store")
    bucket = tmp_path / "store" / "b"
    (bucket / ".partial-data.abc123").mkdir(parents=True)  # killed while copying
    (bucket / ".partial-data.abc123" / "x.csv").write_text("half")
    (bucket / ".retired-model.def456").mkdir()  # killed between the two renames
    (bucket / ".retired-model.def456" / "m.bin").write_text("previous model")
    (bucket / "other").mkdir()
    (bucket / ".retired-other.aaa111").mkdir()  # killed after the swap, before the delete

    store.recover()

    assert sorted(p.name for p in bucket.iterdir()) == ["model", "other"]
    assert (bucket / "model" / "m.bin").read_text() == "previous model"


def test_store_refuses_uris_outside_s3_and_path_tricks(tmp_path: Path):
    store = ArtifactStore(tmp_path / "store")
    for bad in ("/etc/passwd", "s3://", "s3://b/../../etc", "file:///tmp/x", "s3://b/.partial-x"):
        with pytest.raises(ArtifactError):
            store.path(bad)
    with pytest.raises(ArtifactError, match="no objects found"):
        store.download("s3://b/missing", tmp_path / "dest")


def test_an_execution_id_cannot_reach_outside_the_store(tmp_path: Path) -> None:
    """``executions describe ../x`` names no execution; it never reads a file outside the store."""
    from orchestrator.backends.local.errors import UnknownExecutionError
    from orchestrator.backends.local.executions import ExecutionStore

    (tmp_path / "outside").mkdir()
    store = ExecutionStore(tmp_path / "executions")
    for bad in ("../outside", "a/b", "", "ABC", "x" * 65):
        with pytest.raises(UnknownExecutionError, match="execution ids are lowercase"):
            store.load(bad)
