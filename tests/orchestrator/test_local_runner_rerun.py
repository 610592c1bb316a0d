"""Retry and selective runs on the local runner with real jobs (issue #24): a runner killed with
SIGKILL mid-step is retried to success under the same execution id, its finished step kept and
its orphaned job stopped; a selective run reuses a reference's published outputs and is refused
when they are gone; and the CLI refuses bad rerun inputs with exit 2, nothing started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_local_runner_recovery import CHILD, pipeline, running

from orchestrator.backends.local.errors import RunnerInputError
from orchestrator.backends.local.runner import LocalRunner
from orchestrator.cli import main


def _killed_mid_step(tmp_path: Path) -> tuple[LocalRunner, str, int, str]:
    """A runner SIGKILLed while its Slow step runs: (a new runner, the definition, the orphaned
    job's PID, the crashed execution's id)."""
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
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        assert time.monotonic() < deadline, "the Slow step never started"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    runner = LocalRunner(store, state, None)
    [crashed] = runner.list_executions()
    return runner, definition_path.read_text(), int(flag.read_text()), crashed.execution_id


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="uses /proc to watch the orphaned job")
def test_a_run_killed_mid_step_is_retried_to_success_under_the_same_id(tmp_path: Path) -> None:
    runner, _, orphan, crashed = _killed_mid_step(tmp_path)
    assert runner.describe(crashed).status == "Crashed"
    prepared = runner.describe(crashed).step("Prepare")

    execution = runner.retry(crashed)

    assert (execution.execution_id, execution.status) == (crashed, "Succeeded")
    assert execution.retries == 1 and len(runner.list_executions()) == 1
    prepare, slow = execution.steps
    assert prepare.kept_on_retry and prepare.start_time == prepared.start_time
    assert not slow.kept_on_retry and slow.status == "Succeeded"
    assert (tmp_path / "prepare-runs.txt").read_text().count("run") == 1  # not run again
    result = runner.store.path("s3://bucket/result") / "result.csv"
    assert result.read_text() == "1,2,3\ncomplete\n"
    assert not running(orphan), "the dead runner's job was left running"
    assert runner.describe(crashed).status == "Succeeded"
    with pytest.raises(RunnerInputError, match="nothing to retry"):
        runner.retry(crashed)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="uses /proc to watch the orphaned job")
def test_a_selective_run_reuses_the_references_outputs_and_refuses_when_they_are_gone(
    tmp_path: Path,
) -> None:
    runner, definition, _, crashed = _killed_mid_step(tmp_path)
    reference = runner.retry(crashed)

    rerun = runner.start_selected(definition, {}, "recover", source=crashed, steps=["Slow"])

    assert rerun.status == "Succeeded" and rerun.execution_id != crashed
    prepare, slow = rerun.steps
    assert (prepare.reused_from, slow.reused_from) == (crashed, None)
    assert prepare.properties == reference.step("Prepare").properties
    assert (tmp_path / "prepare-runs.txt").read_text().count("run") == 1
    shutil.rmtree(runner.store.path("s3://bucket/prepared"))
    with pytest.raises(RunnerInputError, match=r"outputs of Prepare in execution .* are gone"):
        runner.start_selected(definition, {}, "recover", source=crashed, steps=["Slow"])


@pytest.fixture
def environments(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    folder.mkdir()
    state = tmp_path / "state"
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nlocal:\n  state_dir: {state}\n"
    )
    return folder


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--steps", "Evaluate"], "--steps needs --from-execution"),
        (["run", "--from-execution", "abc"], "--from-execution needs --steps"),
        (["run", "--steps", ",", "--from-execution", "abc"], "--steps is empty"),
        (["executions", "retry", "nosuchexecution"], "no execution 'nosuchexecution'"),
        (["executions", "retry"], "no executions yet"),
    ],
    ids=["steps-without-from", "from-without-steps", "empty-steps", "unknown-id", "no-latest"],
)
def test_a_bad_rerun_input_exits_2_naming_the_fix(
    environments: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code = main([*args, "--env", "local", "--environments-dir", str(environments)])
    assert code == 2
    assert says in capsys.readouterr().err
    assert not list((environments.parent / "state").glob("executions/*"))  # nothing started
