"""Size of the container image (``containers/``): the whole image, each layer, and the largest
packages in its virtualenv, optionally against a reference image (the same Dockerfile at an older
git revision, or any image reference).

    .venv/bin/python benchmarks/image_size.py                       # build containers/ and measure
    .venv/bin/python benchmarks/image_size.py --before-rev a268cb7  # also build that revision's
    .venv/bin/python benchmarks/image_size.py --image REF --before REF   # measure built images

Size is what the engine reports (``image inspect --format {{.Size}}``: the uncompressed layers).
Builds use ``--build-arg BASE_IMAGE=`` the offline Debian base when the engine has it, as the
tests do. Prints the figures and writes ``benchmarks/results/image_size.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from container_engine import base_image_for  # noqa: E402

from orchestrator.images.engine import find_engine  # noqa: E402

SITE_PACKAGES = "/opt/venv/lib/python3.11/site-packages"
MB = 1_000_000


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{what} failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-3000:]}")
    return done.stdout


def build(engine: str, context: Path, tag: str, base_image: str | None) -> float:
    """Build ``context`` as ``tag``; the wall time in seconds (layer caches make it vary)."""
    command = [engine, "build", "-t", tag]
    if base_image:
        command += ["--build-arg", f"BASE_IMAGE={base_image}"]
    started = time.perf_counter()
    _run([*command, str(context)], f"building {context}")
    return round(time.perf_counter() - started, 1)


def containers_at(revision: str, scratch: Path) -> Path:
    """``containers/`` as it was at a git revision, extracted into ``scratch``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "containers"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")
    return scratch / "containers"


def _bytes(text: str) -> float:
    """A history size: bytes (docker with --human=false) or podman's "604 MB" / "24.1 kB"."""
    number, _, unit = text.strip().partition(" ")
    scale = {"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}[unit.strip()]
    return float(number or 0) * scale


def measure(engine: str, image: str) -> dict[str, Any]:
    size = int(_run([engine, "image", "inspect", "--format", "{{.Size}}", image], "inspect"))
    history = _run(
        [engine, "history", "--human=false", "--no-trunc", "--format",
         "{{.Size}}\t{{.CreatedBy}}", image], "history",
    )  # fmt: skip
    layers = []
    for line in history.splitlines():
        layer_size, _, created_by = line.partition("\t")
        if _bytes(layer_size) > 0:
            layers.append({"mb": round(_bytes(layer_size) / MB, 1), "created_by": created_by[:160]})
    du = _run(
        [engine, "run", "--rm", "--network", "none", image, "sh", "-c",
         f"du -sk {SITE_PACKAGES}/* | sort -rn | head -15"], "du",
    )  # fmt: skip
    packages = {
        Path(path).name: round(int(kb) * 1024 / MB, 1)
        for kb, path in (line.split(maxsplit=1) for line in du.splitlines())
    }
    return {"image": image, "size_mb": round(size / MB, 1), "layers": layers,
            "largest_site_packages_mb": packages}  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", help="measure this built image instead of building containers/")
    parser.add_argument("--before", help="a built reference image to compare with")
    parser.add_argument("--before-rev", help="build containers/ at this git revision to compare")
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    engine = find_engine()
    base = base_image_for(engine)
    result: dict[str, Any] = {
        "machine": {"engine": engine.executable, "python": platform.python_version(),
                    "platform": platform.platform(), "base_image": base or "(Dockerfile default)"},
    }  # fmt: skip
    after = args.image or "localhost/ml-containers:image-size-after"
    if not args.image:
        result["build_seconds_after"] = build(engine.executable, REPO / "containers", after, base)
    before = args.before
    if args.before_rev:
        before = f"localhost/ml-containers:image-size-{args.before_rev}"
        with tempfile.TemporaryDirectory(prefix="image-size-") as scratch:
            context = containers_at(args.before_rev, Path(scratch))
            result["build_seconds_before"] = build(engine.executable, context, before, base)
        result["before_revision"] = args.before_rev
    result["after"] = measure(engine.executable, after)
    print(f"image {after}: {result['after']['size_mb']} MB")
    if before:
        result["before"] = measure(engine.executable, before)
        saved = result["before"]["size_mb"] - result["after"]["size_mb"]
        result["saved_mb"] = round(saved, 1)
        result["after_over_before"] = round(
            result["after"]["size_mb"] / result["before"]["size_mb"], 3
        )
        print(f"before {before}: {result['before']['size_mb']} MB; saved {saved:.1f} MB "
              f"(after/before = {result['after_over_before']})")  # fmt: skip
    for layer in result["after"]["layers"]:
        print(f"  layer {layer['mb']:>8.1f} MB  {layer['created_by'][:90]}")
    out = REPO / "benchmarks" / "results" / "image_size.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
