"""Environment files: the shipped ones load, and each kind of mistake names file, key and fix."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.settings.environment import load_environment

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "path", sorted((REPO / "environments").glob("*.yaml")), ids=lambda p: p.stem
)
def test_shipped_environments_load(path: Path) -> None:
    config = load_environment(path.stem, path.parent)
    assert config.name == path.stem


def test_local_defaults() -> None:
    config = load_environment("local", REPO / "environments")
    assert config.backend == "local"
    assert config.dataset.demo_name == "breast_cancer"
    assert config.pipeline.approval_status == "Approved"


def test_unknown_environment_lists_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "local", "backend: local\n")
    with pytest.raises(
        ConfigError, match=r"unknown environment 'qa'.*Available environments: local"
    ):
        load_environment("qa", tmp_path)


def test_invalid_environment_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a valid environment name"):
        load_environment("../etc/passwd", tmp_path)


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: local\npipeline:\n  approval: [auto\n")
    with pytest.raises(ConfigError, match=r"dev.yaml is not valid YAML at line \d+"):
        load_environment("dev", tmp_path)


def test_unknown_key_is_named(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: local\npipeline:\n  aproval: auto\n")
    with pytest.raises(ConfigError, match=r"pipeline\.aproval: unknown key"):
        load_environment("dev", tmp_path)


def test_value_not_allowed_says_what_is(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: local\npipeline:\n  approval: sometimes\n")
    with pytest.raises(ConfigError, match=r"pipeline\.approval: not allowed; .*'auto' or 'manual'"):
        load_environment("dev", tmp_path)


def test_tuning_parallelism_checked(tmp_path: Path) -> None:
    write(
        tmp_path,
        "dev",
        "backend: local\npipeline:\n  tuning: {max_jobs: 2, max_parallel_jobs: 3}\n",
    )
    with pytest.raises(ConfigError, match=r"max_parallel_jobs \(3\) exceeds max_jobs \(2\)"):
        load_environment("dev", tmp_path)


def test_bad_duration(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: local\npipeline:\n  caching: {expire_after: 30 days}\n")
    with pytest.raises(ConfigError, match="is not an ISO 8601 duration"):
        load_environment("dev", tmp_path)


def test_aws_needs_account(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: aws\n")
    with pytest.raises(ConfigError, match="needs 'account_id'"):
        load_environment("dev", tmp_path)


def test_name_must_match_file(tmp_path: Path) -> None:
    write(tmp_path, "dev", "name: prod\nbackend: local\n")
    with pytest.raises(ConfigError, match="make them match"):
        load_environment("dev", tmp_path)


def test_own_data_needs_schema(tmp_path: Path) -> None:
    write(tmp_path, "dev", "backend: local\ndataset: {data: my.csv}\n")
    with pytest.raises(ConfigError, match="needs 'schema"):
        load_environment("dev", tmp_path)


def _imported_modules(path: Path) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            modules.append(node.module or "")
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_settings_import_no_backend() -> None:
    """The dependency runs one way: backends read settings, settings never import a backend
    (or a flow, or the CLI), so a settings model can be loaded without any of them."""
    above = ("orchestrator.backends", "orchestrator.flows", "orchestrator.cli")
    offending = [
        f"{path.name} imports {module}"
        for path in sorted((REPO / "orchestrator" / "settings").glob("*.py"))
        for module in _imported_modules(path)
        if module.startswith(above)
    ]
    assert offending == []


@pytest.mark.parametrize(
    ("section", "key", "shape"),
    [
        ("endpoint:\n  variant_name: {value}\n", "endpoint.variant_name", "VariantName"),
        ("pipeline:\n  name: {value}\n", "pipeline.name", "PipelineName"),
    ],
)
def test_sagemaker_names_follow_botocore(
    tmp_path: Path, section: str, key: str, shape: str
) -> None:
    """Names SageMaker would refuse fail in the file, naming the key and botocore's rule."""
    write(tmp_path, "dev", "backend: local\n" + section.format(value="Blue-1"))
    assert load_environment("dev", tmp_path)
    write(tmp_path, "dev", "backend: local\n" + section.format(value="blue_1"))
    with pytest.raises(ConfigError, match=rf"{key}: 'blue_1' is not a valid name: .*{shape}"):
        load_environment("dev", tmp_path)
