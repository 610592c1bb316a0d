"""A real image registry on 127.0.0.1 for the push tests: Debian's ``docker-registry`` (the
CNCF distribution registry), with htpasswd authentication for one user, so a push only works
with the credentials the code under test obtained (moto's GetAuthorizationToken answer).

``.ci/run`` installs the package as root; where it is missing the tests that need it are
skipped by name (failed when ``MLOPS_REQUIRE_CONTAINER_ENGINE=1``, as in CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from container_engine import REQUIRE_ENV

REGISTRY = "docker-registry"


@dataclass(frozen=True)
class LocalRegistry:
    host: str  # 127.0.0.1:<port>
    username: str
    password: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(root: Path, port: int, htpasswd: Path) -> str:
    return f"""version: 0.1
log: {{level: warn}}
storage:
  filesystem: {{rootdirectory: {root}}}
  delete: {{enabled: true}}
http:
  addr: 127.0.0.1:{port}
auth:
  htpasswd: {{realm: test-registry, path: {htpasswd}}}
"""


def registry_binary() -> str:
    found = shutil.which(REGISTRY)
    if found:
        return found
    message = (
        f"registry push tests not run: {REGISTRY} is not installed "
        "(as root: apt-get install docker-registry)"
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def running_registry(folder: Path, username: str, password: str) -> Iterator[LocalRegistry]:
    import bcrypt

    binary = registry_binary()
    folder.mkdir(parents=True, exist_ok=True)
    htpasswd = folder / "htpasswd"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    htpasswd.write_text(f"{username}:{hashed}\n")
    port = _free_port()
    config = folder / "config.yml"
    config.write_text(_config(folder / "storage", port, htpasswd))
    log = (folder / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        _wait_ready(port, process, folder / "registry.log")
        yield LocalRegistry(f"127.0.0.1:{port}", username, password)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{REGISTRY} exited: {log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            return
        except urllib.error.HTTPError as answered:  # 401: up, and asking for credentials
            if answered.code == 401:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{REGISTRY} did not answer on 127.0.0.1:{port}: {log.read_text()}")


def _call(
    registry: LocalRegistry, method: str, path: str, body: bytes = b"", **headers: str
) -> Any:
    import base64

    credentials = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    request = urllib.request.Request(
        f"http://{registry.host}{path}", data=body or None, method=method
    )
    request.add_header("Authorization", f"Basic {credentials}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    return urllib.request.urlopen(request, timeout=10)


def upload_image(
    registry: LocalRegistry, name: str, tag: str, manifest: str, blobs: dict[str, bytes]
) -> None:
    """Put an image the way a client pushes one (distribution API): each blob by a monolithic
    upload, then the manifest under ``tag``."""
    for digest, content in blobs.items():
        started = _call(registry, "POST", f"/v2/{name}/blobs/uploads/")
        location = started.headers["Location"]
        location = location.split(registry.host, 1)[-1]
        joiner = "&" if "?" in location else "?"
        _call(registry, "PUT", f"{location}{joiner}digest={digest}", content,
              Content_Type="application/octet-stream")  # fmt: skip
    _call(registry, "PUT", f"/v2/{name}/manifests/{tag}", manifest.encode(),
          Content_Type="application/vnd.oci.image.manifest.v1+json")  # fmt: skip
