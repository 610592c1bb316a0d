"""``preprocess`` on several hosts (issue #18): the hosts' outputs together equal, up to row
order, what one host writes for the same files; with files handed out in key order (as the local
runner and ``ShardedByS3Key`` do it) the parts concatenated in name order equal it byte for byte.

Hosts are real processes joined through XGBoost's collective on 127.0.0.1, each with its own
``/opt/ml`` root and ``resourceconfig.json``, as SageMaker runs a processing job's instances.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
from ml_containers import transform
from ml_containers.preprocess.distributed import HostScan, plan_for
from ml_containers.preprocess.errors import PreprocessError
from ml_containers.schema import parse_schema
from ml_containers.transform import TransformFitter
from test_preprocess_support import VENV_BIN, lay_out_processing_inputs, run_program

pytestmark = pytest.mark.slow

CLASSIFICATION = """
version: 1
name: shards
problem_type: binary_classification
target: {name: label, classes: ["no", "yes"]}
features:
  - {name: x, type: numeric, min: -50, max: 50}
  - {name: n, type: integer, min: 0}
  - {name: color, type: categorical, categories: [red, green, blue]}
"""
REGRESSION = """
version: 1
name: shards_regression
problem_type: regression
target: {name: label}
id_columns: [id]
features:
  - {name: x, type: numeric, min: -50, max: 50}
  - {name: n, type: integer, min: 0}
  - {name: color, type: categorical, categories: [red, green, blue]}
"""
OUTPUT_FOLDERS = ("train", "validation", "test", "batch")


def _files(tmp_path: Path, regression: bool) -> list[Path]:
    """Four CSV files with bad rows, malformed lines, missing values and duplicates within a file
    and across files (so across hosts)."""
    rng = np.random.default_rng(7)
    header = "id,x,n,color,label" if regression else "x,n,color,label"
    rows: list[str] = []
    for i in range(2400):
        x = "" if rng.random() < 0.05 else f"{rng.normal(0, 10):.3f}"
        color = ["red", "green", "blue", ""][int(rng.integers(0, 4))]
        label = f"{rng.normal(5, 2):.4f}" if regression else ["no", "yes"][int(rng.random() < 0.3)]
        fields = [x, str(int(rng.integers(0, 9))), color, label]
        rows.append(",".join([f"r{i}", *fields] if regression else fields))
    rows[100] = rows[5]  # duplicates inside file 0
    rows[700] = rows[10]  # file 1 repeats a row of file 0
    rows[650] = " NA ," + rows[650].split(",", 1)[1] if not regression else rows[650]
    rows[650] = rows[650].replace(",red,", ", red ,")  # padded: trimmed in the outputs only
    rows[1900] = rows[650]  # file 3 repeats a row of file 1 (the quarantine keeps it as written)
    rows[1300] = rows[1950]  # file 2 has first what file 3 repeats later
    rows[200] = rows[200].replace(rows[200].split(",")[-1], "maybe")  # unknown class / fine
    rows[820] = "1,2,3,4,5,6,7"  # malformed
    rows[1500] = rows[1500].replace(rows[1500].split(",")[-3 if regression else 1], "-4")
    paths = []
    for k in range(4):
        path = tmp_path / "data" / f"part-{k}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([header, *rows[k * 600 : (k + 1) * 600]]) + "\n")
        paths.append(path)
    return paths


def _schema(tmp_path: Path, regression: bool) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(REGRESSION if regression else CLASSIFICATION)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


ARGS = ("--rejection-threshold", "1", "--train-parts", "2", "--chunk-rows", "97")


def _hosts(
    tmp_path: Path, shares: list[list[Path]], schema: Path
) -> list[tuple[subprocess.Popen[bytes], Path]]:
    """Start one ``preprocess`` process per share, each with its /opt/ml root, resourceconfig.json
    and the tracker on 127.0.0.1; returns (process, its root) per host, output in <host>.log."""
    hosts = [f"algo-{i + 1}" for i in range(len(shares))]
    port = _free_port()
    started = []
    for host, share in zip(hosts, shares, strict=True):
        root = lay_out_processing_inputs(tmp_path / host, share, schema)
        (root / "config").mkdir(parents=True, exist_ok=True)
        config = {"current_host": host, "hosts": hosts}
        (root / "config" / "resourceconfig.json").write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "OPT_ML"))}
        env |= {
            "OPT_ML_ROOT": str(root),
            "COLLECTIVE_TRACKER_ADDRESS": "127.0.0.1",
            "COLLECTIVE_TRACKER_PORT": str(port),
            "COLLECTIVE_TIMEOUT": "60",
        }
        log = (tmp_path / f"{host}.log").open("wb")
        command = [str(VENV_BIN / "preprocess"), *ARGS]
        started.append((subprocess.Popen(command, env=env, stdout=log, stderr=log), root))
    return started


def _wait(tmp_path: Path, started) -> list[int]:
    try:
        return [process.wait(timeout=120) for process, _ in started]
    finally:
        for process, _ in started:
            process.kill()


def _run_hosts(tmp_path: Path, shares: list[list[Path]], schema: Path) -> list[Path]:
    """Run one ``preprocess`` process per share; returns each host's output folder."""
    started = _hosts(tmp_path, shares, schema)
    codes = _wait(tmp_path, started)
    logs = [(tmp_path / f"algo-{i + 1}.log").read_text() for i in range(len(shares))]
    assert codes == [0] * len(shares), logs
    return [root / "processing" / "output" for _, root in started]


def _single(tmp_path: Path, files: list[Path], schema: Path) -> Path:
    root = lay_out_processing_inputs(tmp_path / "single", files, schema)
    result = run_program("preprocess", *ARGS, root=root)
    assert result.returncode == 0, result.stderr
    return root / "processing" / "output"


def _split_bytes(output: Path, folder: str, stem: str) -> bytes:
    """A split as the concatenation of its files in name order."""
    return b"".join(p.read_bytes() for p in sorted((output / folder).glob(f"{stem}*.csv")))


def _merged(outputs: list[Path], folder: str, stem: str) -> bytes:
    """Every host's files of a split, in name order (hosts' names sort by host)."""
    return b"".join(_split_bytes(out, folder, stem) for out in outputs)


def _report(output: Path) -> dict:
    report = json.loads((output / "report" / "report.json").read_text())
    report.pop("hosts", None)
    report["duplicate_check"].pop("hash_memory_bytes")
    return report


def _quarantined(output: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted((output / "report").glob("quarantine*.csv")):
        lines += path.read_text().splitlines()[1:]
    return sorted(lines)


@pytest.mark.parametrize("regression", [False, True], ids=["classification", "regression"])
def test_two_hosts_in_key_order_write_the_one_host_output_byte_for_byte(tmp_path, regression):
    files = _files(tmp_path, regression)
    schema = _schema(tmp_path, regression)
    single = _single(tmp_path, files, schema)
    outputs = _run_hosts(tmp_path, [files[:2], files[2:]], schema)
    for output in outputs:
        assert (output / "transform" / "transform.json").read_bytes() == (
            single / "transform" / "transform.json"
        ).read_bytes()
        assert _report(output) == _report(single)
    assert json.loads((outputs[0] / "report" / "report.json").read_text())["hosts"] == 2
    assert sorted(p.name for p in (outputs[1] / "train").iterdir()) == [
        "train-part-00000-00001.csv",  # training host first, then this (second) host
        "train-part-00001-00001.csv",
    ]
    for folder, stem in [("train", "train"), ("validation", "validation"), ("test", "test"),
                         ("batch", "batch"), ("batch", "labels")]:  # fmt: skip
        assert _merged(outputs, folder, stem) == _split_bytes(single, folder, stem), folder
    assert _quarantined(outputs[0]) + _quarantined(outputs[1]) != []
    assert sorted(_quarantined(outputs[0]) + _quarantined(outputs[1])) == _quarantined(single)
    # part-3.csv's row 101 repeats a row of part-1.csv, which the other host read
    cross_host = [line for line in _quarantined(outputs[1]) if line.startswith("part-3.csv,101,")]
    assert len(cross_host) == 1 and "duplicate" in cross_host[0]


def test_files_out_of_order_and_an_idle_host_give_the_same_rows(tmp_path):
    """Three hosts, one with no file, the others with interleaved files: the same rows in every
    split (row order aside), the same transform and report."""
    files = _files(tmp_path, regression=False)
    schema = _schema(tmp_path, regression=False)
    single = _single(tmp_path, files, schema)
    outputs = _run_hosts(tmp_path, [[files[1], files[3]], [], [files[0], files[2]]], schema)
    for output in outputs:
        assert (output / "transform" / "transform.json").read_bytes() == (
            single / "transform" / "transform.json"
        ).read_bytes()
        assert _report(output) == _report(single)
    for folder, stem in [("train", "train"), ("validation", "validation"), ("test", "test")]:
        merged = _merged(outputs, folder, stem).splitlines()
        assert sorted(merged) == sorted(_split_bytes(single, folder, stem).splitlines()), folder
    assert (outputs[1] / "test" / "test-part-00001.csv").read_bytes() == b""
    quarantined = sorted(line for out in outputs for line in _quarantined(out))
    assert quarantined == _quarantined(single)


BROKEN_FILES = {
    "header": b"x,n,label\n1,2,no\n",  # the schema's color column is missing
    "row": b"x,n,color,label\n1,2,red,no\n" * 50 + b"1,2,r\xffd,no\n",  # not UTF-8
}


@pytest.mark.parametrize("broken", sorted(BROKEN_FILES))
def test_a_host_that_fails_its_scan_fails_every_host_with_its_reason(tmp_path, broken):
    """The other host must not wait for a host that gave up: both exit 1 naming it and why."""
    files = _files(tmp_path, regression=False)
    files[3].write_bytes(BROKEN_FILES[broken])
    schema = _schema(tmp_path, regression=False)
    codes = _wait(tmp_path, _hosts(tmp_path, [files[:2], files[2:]], schema))
    errors = [(tmp_path / f"{host}.log").read_text() for host in ("algo-1", "algo-2")]
    assert codes == [1, 1], errors
    for error in errors:
        assert "host algo-2:" in error and "part-3.csv" in error, error
    message = (tmp_path / "algo-1" / "output" / "message").read_text()
    assert "host algo-2:" in message


def _scan(host: str, files: list[tuple[str, int]], hashes, file_of, row_of, labels) -> HostScan:
    return HostScan(
        host,
        None,
        files,
        np.array(hashes, dtype=np.uint64),
        np.array(file_of, dtype=np.int32),
        np.array(row_of, dtype=np.int64),
        np.array(labels, dtype=np.int64),
    )


def test_the_plan_keeps_the_earliest_row_of_a_key_whichever_host_read_it():
    # host 0 read b.csv (global file 1), host 1 read a.csv (global file 0); key 7 is in both.
    scans = [
        _scan("algo-1", [("b.csv", 5)], [7, 8], [0, 0], [0, 3], [1, 0]),
        _scan("algo-2", [("a.csv", 4)], [9, 7], [0, 0], [1, 2], [0, 1]),
    ]
    first, second = plan_for(scans, 0, 2), plan_for(scans, 1, 2)
    assert first.global_file == [1] and second.global_file == [0]
    assert first.duplicates(np.array([7, 8], dtype=np.uint64)).tolist() == [True, False]
    assert not second.duplicates(np.array([9, 7], dtype=np.uint64)).any()
    assert first.row_offsets.tolist() == [0, 4]
    # before b.csv: a.csv's kept rows, one of each class
    assert first.class_offsets.tolist() == [[0, 0], [1, 1]]


def test_the_plan_refuses_a_file_on_two_hosts_and_no_file_anywhere():
    with pytest.raises(PreprocessError, match="reached both host algo-1 and host algo-2"):
        plan_for([_scan("algo-1", [("a.csv", 1)], [], [], [], []),
                  _scan("algo-2", [("a.csv", 1)], [], [], [], [])], 0, 2)  # fmt: skip
    with pytest.raises(PreprocessError, match="none of the 2 hosts found a"):
        plan_for([_scan("algo-1", [], [], [], [], []), _scan("algo-2", [], [], [], [], [])], 0, 2)


TWO_NUMBERS = parse_schema(
    {
        "version": 1,
        "name": "m",
        "problem_type": "binary_classification",
        "target": {"name": "y", "classes": ["a", "b"]},
        "features": [{"name": "v", "type": "numeric"}, {"name": "w", "type": "numeric"}],
    }
)


def test_fitters_on_different_files_merge_into_the_one_host_fit(monkeypatch):
    """With a sample smaller than the rows (so the bottom-k cut matters) the merged fit equals
    the fit of one fitter that saw every file, whatever the hosts' order."""
    monkeypatch.setattr(transform, "RESERVOIR_SIZE", 40)
    schema = TWO_NUMBERS
    rng = np.random.default_rng(1)
    blocks = [
        (
            {"v": rng.normal(size=n), "w": rng.exponential(size=n)},
            rng.integers(0, 2**63, n, dtype=np.uint64),
        )
        for n in (300, 5, 250, 180)
    ]
    one = TransformFitter(schema)
    for index, (columns, priorities) in enumerate(blocks):
        one.update(columns, priorities)
        one.end_file(index)
    hosts = [TransformFitter(schema), TransformFitter(schema)]
    for index, (columns, priorities) in enumerate(blocks):
        hosts[index % 2].update(columns, priorities)
        hosts[index % 2].end_file(index)
    merged_forward, merged_backward = TransformFitter(schema), TransformFitter(schema)
    for host in hosts:
        merged_forward.absorb(host)
    for host in reversed(hosts):
        merged_backward.absorb(host)
    expected = one.finish().to_dict()
    assert merged_forward.finish().to_dict() == expected == merged_backward.finish().to_dict()
    assert expected["fitted_rows"] == 735


def test_a_column_without_a_value_among_the_sampled_rows_is_imputed_with_its_mean(monkeypatch):
    monkeypatch.setattr(transform, "RESERVOIR_SIZE", 2)
    schema = TWO_NUMBERS
    fitter = TransformFitter(schema)
    # w has values only in the two rows of largest priority, which the 2-row sample drops
    fitter.update(
        {"v": np.array([1.0, 2.0, 3.0, 4.0]), "w": np.array([np.nan, np.nan, 10.0, 20.0])},
        np.array([1, 2, 3, 4], dtype=np.uint64),
    )
    fitted = {c["name"]: c for c in fitter.finish().to_dict()["columns"]}
    assert fitted["v"]["impute"] == 1.5  # the median of the sampled rows 1.0 and 2.0
    assert fitted["w"]["impute"] == fitted["w"]["mean"] == 15.0
