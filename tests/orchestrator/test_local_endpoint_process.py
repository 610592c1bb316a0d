"""Starting and stopping a model server process: bounded startup, the reason in the error, and
nothing left running. A small Python program stands in for a server that never gets ready or
dies at once, so these cases run in about a second each without a model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from orchestrator.backends.local.serve_process import ServeProcess
from orchestrator.backends.local.serving_errors import EndpointError


def test_a_server_that_never_answers_ping_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    never_ready = [
        sys.executable,
        "-c",
        f"import os, sys, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
        "print('loading a huge model', file=sys.stderr, flush=True); time.sleep(60)",
    ]
    with pytest.raises(EndpointError, match=r"(?s)within 1 s.*loading a huge model") as caught:
        ServeProcess.start(
            tmp_path / "model", tmp_path / "logs", startup_timeout=1.0, serve_command=never_ready
        )
    assert "raise the startup timeout" in str(caught.value)
    # The log names the exact command, and the process was stopped (not left sleeping).
    log = (tmp_path / "logs" / "serve.stderr.log").read_text()
    assert "--model-dir" in log and "--port" in log
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_a_server_that_exits_reports_its_exit_code_and_stderr(tmp_path: Path) -> None:
    crashing = [
        sys.executable,
        "-c",
        "import sys; print('serve: cannot load the model: bad manifest', file=sys.stderr); "
        "sys.exit(3)",
    ]
    with pytest.raises(EndpointError, match=r"(?s)exited with code 3.*bad manifest"):
        ServeProcess.start(tmp_path / "model", tmp_path / "logs", serve_command=crashing)


def test_a_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EndpointError, match="cannot start the serve program"):
        ServeProcess.start(
            tmp_path / "model", tmp_path / "logs", serve_command=[str(tmp_path / "no-serve")]
        )
