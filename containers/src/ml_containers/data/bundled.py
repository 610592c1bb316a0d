"""The schema files shipped in this package, looked up by dataset name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..schema import DatasetSchema, ProblemType, load_schema

DEMO_DATASETS = ("breast_cancer", "wine", "diabetes")
SYNTHETIC_SCHEMAS: dict[ProblemType, str] = {
    ProblemType.BINARY: "synthetic_binary",
    ProblemType.MULTICLASS: "synthetic_multiclass",
    ProblemType.REGRESSION: "synthetic_regression",
}


def bundled_schema_path(name: str) -> Path:
    """The path of ``schemas/<name>.yaml`` inside the installed package."""
    known = [*DEMO_DATASETS, *SYNTHETIC_SCHEMAS.values()]
    if name not in known:
        raise ValueError(f"no bundled schema named {name!r}; choose one of {known}")
    return Path(str(resources.files(__package__).joinpath("schemas", f"{name}.yaml")))


def load_bundled_schema(name: str) -> DatasetSchema:
    return load_schema(bundled_schema_path(name))


def write_schema(name: str, destination: Path) -> None:
    """Copy a bundled schema: the YAML as shipped (comments included), or normalized JSON when
    ``destination`` ends in ``.json``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.suffix == ".json":
        load_bundled_schema(name).dump(destination)
    else:
        destination.write_text(bundled_schema_path(name).read_text())
