"""Bad rows of every kind land in the quarantine with the right reason; nothing is lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_preprocess_support import lay_out_processing_inputs, run_program

TINY_SCHEMA = """
version: 1
name: tiny
problem_type: binary_classification
target: {name: label, classes: ["no", "yes"]}
features:
  - {name: x, type: numeric, min: 0, max: 10}
  - {name: n, type: integer, min: 0}
  - {name: color, type: categorical, categories: [red, green, None]}
  - {name: req, type: numeric, nullable: false}
"""

HEADER = "x,n,color,req,label"
# (line, expected reason codes); None = accepted.
EDGE_ROWS = [
    ("abc,1,red,1,no", ["x: not a number"]),
    ("11,1,red,1,no", ["x: above maximum"]),
    ("-1,1,red,1,no", ["x: below minimum"]),
    ("1,2.5,red,1,no", ["n: not an integer"]),
    ("1,1,blue,1,no", ["color: unknown category"]),
    ("1,1,red,,no", ["req: missing value"]),
    ("1,1,red,1,", ["label: missing target"]),
    ("1,1,red,1,maybe", ["label: unknown class"]),
    ("abc,1,red,1,maybe", ["x: not a number", "label: unknown class"]),
    ("1e999,1,red,1,no", ["x: not a number"]),
    ("0.5,1,red,1,no", ["duplicate row"]),  # the same as the first clean row
    (" 3.5 ,4.0,None,2, yes ", None),  # trimmed; "None" is a listed category; 4.0 is an integer
    ("NA,,,3,no", None),  # missing values in nullable columns are imputed later
    ("1,1,red,1,no,extra", ["malformed row"]),
]


def clean_rows(count: int) -> list[str]:
    return [f"{(i % 20) / 2},{i % 7},{['red', 'green'][i % 2]},{i},{['no', 'yes'][i % 3 == 0]}"
            for i in range(1, count + 1)]  # fmt: skip


def run_tiny(tmp_path: Path, lines: list[str], schema: str = TINY_SCHEMA, *args: str):
    csv_file = tmp_path / "tiny.csv"
    csv_file.write_text("\n".join([HEADER, *lines]) + "\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(schema)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    return root, run_program("preprocess", "--rejection-threshold", "1", *args, root=root)


def read_quarantine(root: Path) -> list[dict[str, str]]:
    path = root / "processing" / "output" / "report" / "quarantine.csv"
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def read_report(root: Path) -> dict:
    return json.loads((root / "processing" / "output" / "report" / "report.json").read_text())


def test_each_kind_of_bad_row_is_quarantined_with_its_reason(tmp_path):
    lines = ["0.5,1,red,1,no", *(line for line, _ in EDGE_ROWS), *clean_rows(60)]
    root, result = run_tiny(tmp_path, lines)
    assert result.returncode == 0, result.stderr
    report = read_report(root)
    expected_rejected = sum(1 for _, reasons in EDGE_ROWS if reasons)
    assert report["rows_in"] == len(lines)
    assert report["rows_rejected"] == expected_rejected
    assert report["rows_in"] == report["rows_accepted"] + report["rows_rejected"]
    assert sum(report["splits"].values()) == report["rows_accepted"]

    quarantined = read_quarantine(root)
    assert len(quarantined) == expected_rejected
    assert list(quarantined[0]) == [
        "source_file",
        "row",
        "x",
        "n",
        "color",
        "req",
        "label",
        "reason",
    ]
    by_row = {int(r["row"]): r for r in quarantined if r["row"]}
    for offset, (line, reasons) in enumerate(EDGE_ROWS, start=2):
        if reasons is None:
            assert offset not in by_row, f"{line!r} was rejected: {by_row[offset]['reason']}"
        elif reasons != ["malformed row"]:
            row = by_row[offset]
            assert row["source_file"] == "tiny.csv"
            assert [row[c] for c in ("x", "n", "color", "req", "label")] == line.split(",")
            for code in reasons:
                assert code.split(":")[0] in row["reason"], (line, row["reason"])
    malformed = [r for r in quarantined if not r["row"]]
    assert len(malformed) == 1 and "malformed row" in malformed[0]["reason"]
    assert "6 fields, the header has 5" in malformed[0]["reason"]

    expected_counts: dict[str, int] = {}
    for _, reasons in EDGE_ROWS:
        for code in reasons or []:
            expected_counts[code] = expected_counts.get(code, 0) + 1
    assert report["reasons"] == dict(
        sorted(expected_counts.items(), key=lambda item: (-item[1], item[0]))
    )


def test_reason_text_names_the_column_value_and_rule(tmp_path):
    root, result = run_tiny(tmp_path, ["11,1,blue,1,maybe", *clean_rows(60)])
    assert result.returncode == 0, result.stderr
    (row,) = read_quarantine(root)
    assert row["reason"] == (
        "x: value '11' is above the maximum 10; "
        "color: category 'blue' is not one of [red, green, None]; "
        "label: target 'maybe' is not one of the classes [no, yes]"
    )


def test_duplicate_ids_keep_the_first_row_and_missing_ids_are_rejected(tmp_path):
    schema = TINY_SCHEMA.replace("features:", "id_columns: [key]\nfeatures:")
    rows = [f"k{i},{line}" for i, line in enumerate(clean_rows(60))]
    rows += ["k3,9,1,red,1,no", ",1,1,red,1,no"]  # k3 again with other values; no ID
    csv_file = tmp_path / "ids.csv"
    csv_file.write_text("\n".join(["key," + HEADER, *rows]) + "\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(schema)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    result = run_program("preprocess", "--rejection-threshold", "1", root=root)
    assert result.returncode == 0, result.stderr
    reasons = {r["row"]: r["reason"] for r in read_quarantine(root)}
    assert reasons == {
        "61": "key: duplicate ID 'k3' (an earlier row has it; kept the first)",
        "62": "key: missing ID value",
    }
    report = read_report(root)
    assert report["duplicate_check"]["key"] == "id_columns"
    assert report["duplicate_check"]["distinct_keys"] == 60


def test_regression_target_must_be_a_number(tmp_path):
    schema = """
version: 1
name: tiny_regression
problem_type: regression
target: {name: y}
features: [{name: x, type: numeric}]
"""
    lines = [f"{i},{i * 2.5}" for i in range(60)] + ["1,abc", "2,", "3,nan"]
    csv_file = tmp_path / "r.csv"
    csv_file.write_text("x,y\n" + "\n".join(lines) + "\n")
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(schema)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    result = run_program("preprocess", "--rejection-threshold", "0.1", root=root)
    assert result.returncode == 0, result.stderr
    report = read_report(root)
    # "nan" is a missing-value token, so it reads as a missing target.
    assert report["reasons"] == {"y: missing target": 2, "y: not a number": 1}
    assert report["rows_in"] == 63 and report["rows_accepted"] == 60


def test_synthetic_bad_rows_are_exactly_the_rejected_rows(tmp_path):
    csv_file, schema_file = tmp_path / "synthetic.csv", tmp_path / "schema.yaml"
    generated = run_program(
        "generate-data", "synthetic", "--rows", "20000", "--bad-rows", "0.04", "--seed", "11",
        "--out", str(csv_file), "--schema-out", str(schema_file),
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    injected = json.loads(generated.stdout)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    result = run_program("preprocess", "--rejection-threshold", "0.06", root=root)
    assert result.returncode == 0, result.stderr
    report = read_report(root)
    assert report["rows_in"] == 20000
    assert report["rows_rejected"] == injected["bad_rows"]
    assert report["rows_accepted"] + report["rows_rejected"] == report["rows_in"]
    by_kind = injected["bad_rows_by_kind"]
    assert report["reasons"] == {
        code: by_kind[kind]
        for code, kind in sorted(
            {
                "age: above maximum": "out_of_range",
                "region: unknown category": "unknown_category",
                "monthly_spend: not a number": "unparseable_number",
                "churned: missing target": "missing_target",
                "customer_id: duplicate id": "duplicate",
            }.items(),
            key=lambda item: (-by_kind[item[1]], item[0]),
        )
    }
    assert len(read_quarantine(root)) == injected["bad_rows"]


@pytest.mark.parametrize("encoding_problem", [b"x,n,color,req,label\n1,1,r\xe9d,1,no\n"])
def test_undecodable_bytes_fail_with_the_file_named(tmp_path, encoding_problem):
    csv_file = tmp_path / "latin1.csv"
    csv_file.write_bytes(encoding_problem)
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(TINY_SCHEMA)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [csv_file], schema_file)
    result = run_program("preprocess", root=root)
    assert result.returncode == 1
    assert "latin1.csv" in result.stderr and "Traceback" not in result.stderr


def test_several_files_in_any_column_order_with_bom_crlf_and_extra_columns(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("\n".join([HEADER, *clean_rows(40)]) + "\n")
    second = tmp_path / "sub" / "b.csv"
    second.parent.mkdir()
    reordered = [",".join(["note", *reversed(line.split(","))]) for line in clean_rows(80)[40:]]
    header = "extra," + ",".join(reversed(HEADER.split(",")))
    second.write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join([header, *reordered, "x,no,1,red,1,abc"]).encode()
    )
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text(TINY_SCHEMA)
    root = lay_out_processing_inputs(tmp_path / "opt_ml", [first], schema_file)
    nested = root / "processing" / "input" / "data" / "sub"
    nested.mkdir()
    (nested / "b.csv").write_bytes(second.read_bytes())
    result = run_program("preprocess", "--rejection-threshold", "0.1", root=root)
    assert result.returncode == 0, result.stderr
    report = read_report(root)
    assert report["input_files"] == [
        {"file": "a.csv", "rows": 40},
        {"file": "sub/b.csv", "rows": 41},
    ]
    assert (report["rows_in"], report["rows_rejected"]) == (81, 1)
    (row,) = read_quarantine(root)
    assert (row["source_file"], row["row"], row["x"], row["label"]) == (
        "sub/b.csv",
        "41",
        "abc",
        "no",
    )
