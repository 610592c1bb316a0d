"""The instance table orchestrator/recommend/instances.json is complete and consistent: every
type the environment files and settings use is there, vCPUs agree with Terraform's table for the
CPU alarm, memory follows each family's GiB per vCPU, and every price is dated and sourced."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestrator.recommend import catalog
from orchestrator.settings.endpoint import EndpointSettings
from orchestrator.settings.instance_types import allowed
from orchestrator.settings.jobs import ProcessingResources, TrainingResources

ROOT = Path(__file__).resolve().parents[2]
KIND_OF_USAGE = {"training": "training", "processing": "processing", "inference": "endpoint"}
GIB_PER_VCPU = {"m": 4, "c": 2, "r": 8, "g": 4}


def _environment_types() -> set[str]:
    types = set()
    for path in (ROOT / "environments").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        pipeline = data.get("pipeline", {})
        for section in (
            data.get("endpoint", {}),
            data.get("transform", {}) or {},
            pipeline.get("processing", {}),
            pipeline.get("training", {}),
        ):
            if "instance_type" in section:
                types.add(section["instance_type"])
    return types


def _terraform_vcpus() -> dict[str, int]:
    """terraform/main.tf's local.instance_vcpus, evaluated from its own text."""
    text = (ROOT / "terraform" / "main.tf").read_text()
    sizes = dict(
        re.findall(r'"?(\w+)"?\s*=\s*(\d+)', text.split("size_vcpus = {", 1)[1].split("}")[0])
    )
    table: dict[str, int] = {}
    for families, names in re.findall(r"setproduct\(\[([^\]]+)\], \[([^\]]+)\]\)", text):
        for family in re.findall(r'"(\w+)"', families):
            for size in re.findall(r'"(\w+)"', names):
                table[f"ml.{family}.{size}"] = int(sizes[size])
    for sizes_list, family in re.findall(r'for size in \[([^\]]+)\] : "ml\.(\w+)\.', text):
        for size in re.findall(r'"(\w+)"', sizes_list):
            table[f"ml.{family}.{size}"] = int(sizes[size])
    table.update({k: int(v) for k, v in re.findall(r'"(ml\.t2\.\w+)" = (\d+)', text)})
    return table


def test_every_type_the_environments_and_settings_use_is_in_the_table() -> None:
    table = catalog.load()
    used = _environment_types() | {
        EndpointSettings().instance_type,
        ProcessingResources().instance_type,
        TrainingResources().instance_type,
    }
    assert used, "no instance types found in environments/*.yaml"
    assert sorted(used - set(table.instances)) == []


def test_vcpus_agree_with_terraforms_table_for_the_cpu_alarm() -> None:
    table = catalog.load()
    terraform = _terraform_vcpus()
    assert len(terraform) > 40  # the parse found the whole table
    assert sorted(set(terraform) - set(table.instances)) == []
    assert {n: table.instances[n].vcpus for n in terraform} == terraform


def test_memory_follows_each_familys_gib_per_vcpu() -> None:
    for spec in catalog.load().instances.values():
        family = spec.name.split(".")[1]
        if family == "t2":
            continue
        assert spec.memory_gib == spec.vcpus * GIB_PER_VCPU[family[0]], spec.name


def test_the_families_the_issue_names_are_present() -> None:
    names = set(catalog.load().instances)
    for family in ("m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i", "r7i", "g4dn", "g5"):
        assert f"ml.{family}.xlarge" in names, family


def test_every_price_is_dated_sourced_and_for_a_usage_botocore_allows() -> None:
    table = catalog.load()
    assert table.region == "us-east-1" and table.compiled_on and table.prices_as_of
    for source in table.sources.values():
        assert source["url"].startswith("https://aws.amazon.com/") and source["date"]
    priced = 0
    for spec in table.instances.values():
        for usage, price in spec.prices.items():
            assert spec.name in allowed(KIND_OF_USAGE[usage]), (spec.name, usage)  # type: ignore[arg-type]
            assert price.source in table.sources and 0 < price.usd_per_hour < 100
            priced += 1
    assert priced > 20


def test_types_without_a_price_are_named_in_the_tables_notes() -> None:
    table = catalog.load()
    unpriced_families = {s.name.split(".")[1] for s in table.instances.values() if not s.prices}
    notes = " ".join(table.notes)
    assert unpriced_families and all(family in notes for family in unpriced_families)
