"""DataProcessing filters (the CSV subset of JSONPath) and the batch transform's argument checks,
which need no model server."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.backends.local.batch_settings import DataProcessing
from orchestrator.backends.local.batch_transform import run_batch_transform
from orchestrator.backends.local.csv_jsonpath import parse_filter
from orchestrator.backends.local.serving_errors import BatchTransformError

FIELDS = ["id-7", "1.5", "2.5", "3.5", "label", "0.9"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$", FIELDS),
        (None, FIELDS),
        ("$[1:]", FIELDS[1:]),
        ("$[0,-1]", ["id-7", "0.9"]),
        ("$[0, 4:]", ["id-7", "label", "0.9"]),
        ("$[:2]", ["id-7", "1.5"]),
        ("$[1:3]", ["1.5", "2.5"]),
        ("$[-2:]", ["label", "0.9"]),
        ("$[3,1]", ["3.5", "1.5"]),
        (" $[2] ", ["2.5"]),
    ],
)
def test_supported_filters_select_like_sagemaker(
    expression: str | None, expected: list[str]
) -> None:
    assert parse_filter(expression, "InputFilter").select(list(FIELDS), 1) == expected


@pytest.mark.parametrize("expression", ["$.features", "$[*]", "$..x", "$[1:5:2]", "$[a]", "[1:]"])
def test_unsupported_filters_are_refused_with_what_is_supported(expression: str) -> None:
    with pytest.raises(BatchTransformError, match=r"OutputFilter .*\$\[0,-1\]"):
        parse_filter(expression, "OutputFilter")


def test_an_index_past_the_record_names_the_line() -> None:
    selector = parse_filter("$[0,9]", "OutputFilter")
    with pytest.raises(BatchTransformError, match="line 12 has only 6 fields"):
        selector.select(list(FIELDS), 12)


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("1,2\n3,4\n")
    return path


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of endpoint_url"),
        ({"endpoint_url": "http://127.0.0.1:9", "model_dir": Path("m")}, "exactly one of"),
        ({"endpoint_url": "http://127.0.0.1:9", "accept": "application/json"}, "AssembleWith"),
        ({"endpoint_url": "http://127.0.0.1:9", "content_type": "application/json"}, "by line"),
        (
            {
                "endpoint_url": "http://127.0.0.1:9",
                "accept": "application/jsonlines",
                "data_processing": DataProcessing(join_source="Input"),
            },
            "CSV only",
        ),
        (
            {"endpoint_url": "http://127.0.0.1:9", "data_processing": DataProcessing("$.x")},
            "InputFilter '\\$.x' is not supported",
        ),
        ({"endpoint_url": "http://127.0.0.1:9", "max_payload_mb": 0}, "MaxPayloadInMB"),
        ({"endpoint_url": "http://127.0.0.1:9", "max_concurrent_transforms": 0}, "at least 1"),
        (
            {
                "endpoint_url": "http://127.0.0.1:9",
                # an invalid JoinSource on purpose: the runtime check is what is tested
                "data_processing": DataProcessing(join_source="Both"),  # type: ignore[arg-type]
            },
            "JoinSource 'Both'",
        ),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(BatchTransformError, match=message):
        # kwargs mixes the argument types of several cases; each case passes what it names
        run_batch_transform(_input(tmp_path), tmp_path / "out.csv", **kwargs)  # type: ignore[arg-type]
    assert not list(tmp_path.glob("out*")) and not list(tmp_path.glob(".out*"))


def test_missing_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(BatchTransformError, match=r"nope\.csv does not exist"):
        run_batch_transform(
            tmp_path / "nope.csv", tmp_path / "out.csv", endpoint_url="http://127.0.0.1:9"
        )


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    # Port 9 (discard) has no listener on loopback here: the connection is refused at once.
    with pytest.raises(BatchTransformError, match="did not answer"):
        run_batch_transform(
            _input(tmp_path), tmp_path / "out.csv", endpoint_url="http://127.0.0.1:9"
        )
    assert not list(tmp_path.glob("*out*"))
