"""``orchestrator schema infer``: drafts that load, pass the pre-flight row check on the data
they came from, and make the documented decisions (types, IDs, categories, bounds, nullability,
problem type); bad input gets one clear message and exit 2.

Real data: scikit-learn's demo tables (written by ``ml_containers.data.demo``) and small CSVs
written here for the decisions a demo table does not exercise."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from ml_containers.data.demo import write_demo
from ml_containers.preprocess.checks import check_csv
from ml_containers.schema import ColumnType, ProblemType, load_schema

from orchestrator.cli import main
from orchestrator.data import profile as csv_profile
from orchestrator.data.schema_draft import infer_schema


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def unwrapped(text: str) -> str:
    """The draft with its wrapped comment lines joined back up."""
    return re.sub(r"\n\s*#   ", " ", text)


def draft_and_check(path: Path, **options: str) -> tuple[str, object]:
    """Infer, write, load with the containers' own loader and check the same data with it."""
    text, schema = infer_schema(path, **options)
    assert all(len(line) <= 100 for line in text.splitlines())
    schema_path = path.with_suffix(".schema.yaml")
    schema_path.write_text(text)
    loaded = load_schema(schema_path)
    assert loaded == schema
    check = check_csv(path, loaded)
    assert check.rows_rejected == 0, check.examples
    return text, loaded


@pytest.mark.parametrize(
    ("dataset", "problem_type", "target", "classes", "gate"),
    [
        ("breast_cancer", ProblemType.BINARY, "diagnosis", ["benign", "malignant"], "auc"),
        ("wine", ProblemType.MULTICLASS, "cultivar", ["class_0", "class_1", "class_2"], "macro_f1"),
        ("diabetes", ProblemType.REGRESSION, "disease_progression", [], "r2"),
    ],
)
def test_demo_tables_draft_the_right_problem(
    tmp_path: Path,
    dataset: str,
    problem_type: ProblemType,
    target: str,
    classes: list[str],
    gate: str,
) -> None:
    data = tmp_path / f"{dataset}.csv"
    write_demo(dataset, data)
    _, schema = draft_and_check(data)
    assert schema.problem_type is problem_type
    assert schema.target.name == target
    assert schema.classes == classes
    assert schema.gate.name == gate
    assert schema.id_columns == []
    with data.open() as handle:
        header = next(csv.reader(handle))
    assert schema.feature_names == [c for c in header if c != target]  # file order kept


def test_column_decisions_are_made_and_explained(tmp_path: Path) -> None:
    rows = []
    for i in range(60):
        rows.append(
            [
                f"cust-{i:04d}",  # text, unique per row -> ID column
                i + 1,  # whole numbers, unique, named like an ID -> ID column
                i % 7,  # whole numbers, not an ID name -> integer
                "" if i % 10 == 0 else 1.5 * i - 20,  # numbers with missing values
                ["yes", "no", "null-ish"][i % 3] if i % 4 else "NA",  # categories + missing
                f"note {i % 25} {i}",  # free text, repeats cut short below -> left out
                "1.0" if i % 2 else "2.0",  # numeric-looking classes -> binary target
            ]
        )
    rows[1][5] = rows[2][5]  # one repeat: not unique per row, so not an ID either
    data = write_csv(
        tmp_path / "customers.csv",
        ["ref", "account_id", "visits", "balance", "subscribed", "comment", "churn"],
        rows,
    )
    text, schema = draft_and_check(data)
    assert schema.name == "customers"
    assert schema.id_columns == ["ref", "account_id"]
    assert schema.problem_type is ProblemType.BINARY
    assert schema.classes == ["1.0", "2.0"]  # as written in the file: "1.0" is not "1"
    columns = {c.name: c for c in schema.features}
    assert list(columns) == ["visits", "balance", "subscribed"]
    assert columns["visits"].type is ColumnType.INTEGER and not columns["visits"].nullable
    assert columns["balance"].type is ColumnType.NUMERIC and columns["balance"].nullable
    assert columns["subscribed"].type is ColumnType.CATEGORICAL
    assert columns["subscribed"].categories == ["no", "null-ish", "yes"]
    assert columns["subscribed"].nullable  # "NA" is a missing value, not a category
    comments = unwrapped(text)
    assert "left out: 'comment': text with 59 distinct values" in comments
    assert "not unique per row" in comments
    assert (
        "'account_id': whole numbers, unique in every one of 60 rows, named like an ID" in comments
    )


def test_dirty_columns_keep_their_type_and_their_bad_rows_are_quarantined(tmp_path: Path) -> None:
    rows = [[f"o{i}", f"{i * 1.5:.2f}", i % 3, "big" if i % 2 else "small"] for i in range(200)]
    rows[7][0] = rows[6][0]  # an ID repeated once (0.5%): still an ID column
    rows[9][1] = "about 40"  # one value in 200 is not a number: still numeric
    data = write_csv(tmp_path / "orders.csv", ["order_id", "amount", "store", "size"], rows)
    text, schema = infer_schema(data)
    assert schema.id_columns == ["order_id"]
    assert "except 1 repeats of 200" in unwrapped(text)
    amount = schema.features[0]
    assert (amount.name, amount.type) == ("amount", ColumnType.NUMERIC)
    assert "1 values are not numbers (e.g. 'about 40')" in unwrapped(text)
    check = check_csv(data, schema)
    assert (check.rows_rejected, sorted(check.reasons)) == (
        2,
        ["amount: not a number", "duplicate"],
    )


def test_bounds_are_widened_and_never_go_negative_for_non_negative_data(tmp_path: Path) -> None:
    rows = [[0.5 + i * 0.25, -3 + i, 100 + i * 10, i % 2] for i in range(40)]
    data = write_csv(tmp_path / "bounds.csv", ["small", "signed", "large", "y"], rows)
    _, schema = draft_and_check(data)
    small, signed, large = schema.features
    assert small.min == 0 and small.max is not None and small.max > 0.5 + 39 * 0.25
    assert signed.type is ColumnType.INTEGER
    assert signed.min is not None and signed.min < -3 and signed.max is not None
    assert signed.max > 36
    assert large.min is not None and 0 <= large.min < 100
    assert large.max is not None and large.max > 490
    assert large.max <= 490 + 0.2 * 390  # widened a little, not opened up


@pytest.mark.parametrize(
    ("values", "problem_type"),
    [
        ([0, 1, 2, 3, 4], ProblemType.MULTICLASS),  # few whole numbers: classes
        ([0.5, 1.25, 2.0, 3.75, 4.0], ProblemType.REGRESSION),  # fractions
        (list(range(0, 200, 7)), ProblemType.REGRESSION),  # many whole numbers
        (["low", "high"], ProblemType.BINARY),
    ],
)
def test_problem_type_is_guessed_from_the_target(
    tmp_path: Path, values: list[object], problem_type: ProblemType
) -> None:
    rows = [[i * 0.5, values[i % len(values)]] for i in range(60)]
    data = write_csv(tmp_path / "guess.csv", ["x", "target"], rows)
    _, schema = draft_and_check(data)
    assert schema.problem_type is problem_type


def test_target_and_problem_type_can_be_given(tmp_path: Path) -> None:
    rows = [[i % 3, float(i), i % 2] for i in range(50)]
    data = write_csv(tmp_path / "given.csv", ["grade", "score", "flag"], rows)
    _, schema = draft_and_check(data, target="grade", problem_type="multiclass")
    assert schema.target.name == "grade"
    assert schema.classes == ["0", "1", "2"]
    assert schema.feature_names == ["score", "flag"]
    _, schema = draft_and_check(data, target="score", problem_type="regression")
    assert schema.problem_type is ProblemType.REGRESSION and schema.gate.name == "r2"


def test_a_large_file_is_sampled_across_its_whole_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sorted by x: a head-only sample would miss the upper half of the range.
    rows = [[i, i * 0.001, "a" if i % 2 else "b"] for i in range(20_000)]
    data = write_csv(tmp_path / "big.csv", ["x", "z", "label"], rows)
    monkeypatch.setattr(csv_profile, "FULL_SCAN_BYTES", 10_000)
    monkeypatch.setattr(csv_profile, "SAMPLE_BLOCK_BYTES", 4_000)
    profile = csv_profile.profile_csv(data)
    assert profile.sampled
    assert profile.rows < 20_000
    assert profile.column("x").maximum > 19_000 and profile.column("x").minimum < 500
    text, schema = infer_schema(data)
    assert "a sample of" in text
    assert schema.problem_type is ProblemType.BINARY


def test_yaml_values_that_look_like_other_types_stay_text(tmp_path: Path) -> None:
    rows = [[["yes", "no", "on", "null", "1e3"][i % 5], i, "true" if i % 2 else "false"]
            for i in range(50)]  # fmt: skip
    data = write_csv(tmp_path / "tricky names.csv", ["answer: a", "n", "ok"], rows)
    text, schema = draft_and_check(data)
    assert schema.features[0].name == "answer: a"
    # "null" is one of the validator's missing-value tokens, so it makes the column nullable
    assert schema.features[0].categories == ["1e3", "no", "on", "yes"]
    assert schema.features[0].nullable
    assert schema.classes == ["false", "true"]
    assert yaml.safe_load(text)["name"] == "tricky_names"


# -- the CLI -------------------------------------------------------------------------------------
def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_draft_or_writes_it_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "wine.csv"
    write_demo("wine", data)
    code, out, _ = run_cli(capsys, "schema", "infer", "--data", str(data))
    assert code == 0 and "problem_type: multiclass_classification" in out
    out_file = tmp_path / "wine.schema.yaml"
    code, out, err = run_cli(capsys, "schema", "infer", "--data", str(data), "--out", str(out_file))
    assert code == 0 and out == ""
    assert "Review it, then run: orchestrator run --env local" in err
    assert load_schema(out_file).name == "wine"
    out_file.write_text("# my edits\n")
    code, _, err = run_cli(capsys, "schema", "infer", "--data", str(data), "--out", str(out_file))
    assert code == 2 and "already exists; pass --force" in err
    assert out_file.read_text() == "# my edits\n"
    code, _, _ = run_cli(
        capsys, "schema", "infer", "--data", str(data), "--out", str(out_file), "--force"
    )
    assert code == 0 and load_schema(out_file).name == "wine"


BAD_INPUTS = {
    "missing file": (None, [], "does not exist"),
    "empty file": ("", [], "is empty or its first line is blank"),
    "header only": ("a,b,y\n", [], "has a header but no data rows"),
    "no header": ("1,2,3\n4,5,6\n", [], "has no header; add a first line naming the columns"),
    "repeated column": ("a,a,y\n1,2,3\n", [], "repeats the column name(s) 'a'"),
    "unknown target": ("a,b,y\n1,2,x\n3,4,z\n", ["--target", "c"], "--target 'c' is not a column"),
    "single class": ("a,y\n1,x\n2,x\n3,x\n", [], "has a single class 'x' in all 3 rows"),
    "constant number": ("a,y\n1,2.5\n2,2.5\n", [], "single value 2.5 in every row"),
    "unknown problem type": (
        "a,y\n1,x\n2,z\n",
        ["--problem-type", "ranking"],
        "unknown problem type 'ranking'; use binary, multiclass or regression",
    ),
    "binary with three classes": (
        "a,y\n1,x\n2,z\n3,w\n",
        ["--problem-type", "binary"],
        "needs a target with exactly 2 classes",
    ),
    "text target for regression": (
        "a,y\n1,x\n2,z\n",
        ["--problem-type", "regression"],
        "regression needs a numeric target",
    ),
    "target only": ("y\n1\n2\n", [], "no column besides the target"),
    "bad flag": ("a,y\n1,x\n2,z\n", ["--colour", "red"], "unrecognized arguments: --colour"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_one_clear_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    content, extra, expected = BAD_INPUTS[case]
    data = tmp_path / "data.csv"
    if content is not None:
        data.write_text(content)
    code, out, err = run_cli(capsys, "schema", "infer", "--data", str(data), *extra)
    assert code == 2
    assert out == ""
    assert expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
