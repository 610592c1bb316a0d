"""``orchestrator logs`` on the local backend (issue #19): an execution's step logs and the
endpoint's serving logs from the files the local backend writes, JSON lines with the request id,
``--follow`` seeing appended lines once and ending at ``--timeout`` (and on Ctrl-C) with exit 0,
and every user mistake exit 2 naming the fix. In process through ``orchestrator.cli.main``."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.backends.local.executions import Execution, ExecutionStore, StepRecord
from orchestrator.cli import main
from orchestrator.flows import logs as logs_flow
from orchestrator.flows.logs import parse_since


def _emf(request_id: str, when: datetime) -> str:
    stamp = int(when.timestamp() * 1000)
    return json.dumps({"_aws": {"Timestamp": stamp}, "RequestId": request_id, "Status": 200})


@pytest.fixture
def environments(tmp_path: Path) -> Path:
    folder = tmp_path / "environments"
    folder.mkdir()
    state = tmp_path / "state"
    (folder / "local.yaml").write_text(
        f"name: local\nbackend: local\nlocal:\n  state_dir: {state}\n"
    )
    store = ExecutionStore(state / "state")
    execution = Execution(
        execution_id="abc123",
        execution_arn="local:abc123",
        pipeline_name="local-training",
        status="Succeeded",
        steps=[StepRecord(name="Preprocess", type="Processing", status="Succeeded")],
    )
    store.save(execution)
    logs = store.directory("abc123") / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "Preprocess.log").write_text("reading data\nrows_in=569\n")
    (logs / "Train.log").write_text("validation:auc=0.99\n")
    served = state / "endpoints" / "logs" / "demo-v1"
    served.mkdir(parents=True)
    now = datetime.now(UTC)
    old = now - timedelta(hours=3)
    (served / "serve.stdout.log").write_text(
        _emf("old-request", old) + "\n" + _emf("req-1", now) + "\n"
    )
    (served / "serve.stderr.log").write_text("serve: model 'demo' loaded\n")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_execution_logs_latest_and_by_id(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, "logs", "--environments-dir", str(environments), "--execution", "latest"
    )
    assert code == 0, err
    assert "[Preprocess] reading data" in out and "[Train] validation:auc=0.99" in out
    assert "execution abc123" in err
    code, out, _ = _run(
        capsys, "logs", "--environments-dir", str(environments), "--execution", "abc123",
        "--output", "json",
    )  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["source"] for line in lines] == ["Preprocess", "Preprocess", "Train"]
    assert lines[0]["message"] == "reading data" and lines[0]["timestamp"] is None


def test_endpoint_logs_json_lines_carry_the_request_id_and_since(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "logs",
        "--environments-dir",
        str(environments),
        "--endpoint",
        "local",
        "--output",
        "json",
    ]
    code, out, err = _run(capsys, *args)  # default: the last hour
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    ids = [line["request_id"] for line in lines if line["request_id"]]
    assert ids == ["req-1"]  # the 3-hour-old line is outside the default hour
    assert any("loaded" in line["message"] for line in lines)
    code, out, _ = _run(capsys, *args, "--since", "4h")
    assert [json.loads(x)["request_id"] for x in out.splitlines() if "RequestId" in x] == [
        "old-request",
        "req-1",
    ]


def test_follow_prints_appended_lines_once_and_stops_at_timeout(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = environments.parent / "state" / "endpoints" / "logs" / "demo-v1" / "serve.stdout.log"

    def append() -> None:
        time.sleep(0.3)
        with log.open("a") as handle:
            handle.write(_emf("req-2", datetime.now(UTC)) + "\n")

    writer = threading.Thread(target=append)
    writer.start()
    started = time.monotonic()
    code, out, err = _run(
        capsys, "logs", "--environments-dir", str(environments), "--endpoint", "local",
        "--follow", "--poll-interval", "0.1", "--timeout", "1", "--output", "json",
    )  # fmt: skip
    writer.join()
    assert code == 0, err
    assert 0.9 <= time.monotonic() - started < 10
    ids = [json.loads(line)["request_id"] for line in out.splitlines()]
    assert ids.count("req-1") == 1 and ids.count("req-2") == 1


def test_ctrl_c_while_following_exits_0(
    environments: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(logs_flow.time, "sleep", interrupted)
    monkeypatch.setattr(logs_flow.read_logs, "__kwdefaults__", {
        **(logs_flow.read_logs.__kwdefaults__ or {}), "sleep": interrupted})  # fmt: skip
    code, _, err = _run(
        capsys, "logs", "--environments-dir", str(environments), "--endpoint", "local", "--follow"
    )
    assert code == 0 and "stopped" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--endpoint", "prod-endpoint"], "pass --endpoint local"),
        (["--execution", "nosuch"], "executions list"),
        (["--endpoint", "local", "--since", "yesterday"], "neither a duration"),
        (["--endpoint", "local", "--timeout", "5"], "add --follow"),
        (["--endpoint", "local", "--follow", "--timeout", "-1"], "positive number"),
        ([], "one of the arguments --execution --endpoint is required"),
        (["--endpoint", "local", "--execution", "latest"], "not allowed with argument"),
    ],
)
def test_mistakes_exit_2_naming_the_fix(
    environments: Path, capsys: pytest.CaptureFixture[str], extra: list[str], expected: str
) -> None:
    code, out, err = _run(capsys, "logs", "--environments-dir", str(environments), *extra)
    assert code == 2, (out, err)
    assert expected in err and "Traceback" not in err


def test_since_parses_durations_and_times() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert parse_since("90s", now) == now - timedelta(seconds=90)
    assert parse_since("2d", now) == now - timedelta(days=2)
    assert parse_since("2026-12-05T10:00:00Z", now) == datetime(2026, 12, 5, 10, tzinfo=UTC)
    assert parse_since("2026-12-05T10:00:00", now) == datetime(2026, 12, 5, 10, tzinfo=UTC)


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    from orchestrator.backends.local.logs import LocalLogReader
    from orchestrator.backends.logs import LogSource

    path = tmp_path / "x.log"
    path.write_text("one\ntwo\npartial")
    reader = LocalLogReader(tmp_path)
    source = [LogSource("x", str(path))]
    first = reader.read(source, None, None)
    assert [e.message for e in first.events] == ["one", "two"]  # the partial line waits
    path.write_text("new\n")
    os.utime(path)
    again = reader.read(source, None, first.cursor)
    assert [e.message for e in again.events] == ["new"]


def test_following_an_execution_picks_up_a_step_that_starts_later(
    environments: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = environments.parent / "state" / "state" / "executions" / "abc123" / "logs"

    def later_step() -> None:
        time.sleep(0.3)
        (logs / "Evaluate.log").write_text("auc=0.98\n")

    writer = threading.Thread(target=later_step)
    writer.start()
    code, out, err = _run(
        capsys, "logs", "--environments-dir", str(environments), "--execution", "latest",
        "--follow", "--poll-interval", "0.1", "--timeout", "1",
    )  # fmt: skip
    writer.join()
    assert code == 0, err
    assert out.count("[Evaluate] auc=0.98") == 1 and out.count("[Preprocess] reading data") == 1
