"""Copy one image, by digest, from a repository of one registry to a repository of another.

``promote`` puts the exact image a model was evaluated with into the target account's own
repository, so the target's endpoint pulls from its own registry and keeps serving if the source
account goes away. The copy speaks the OCI distribution API, which ECR implements too (with the
basic credentials of GetAuthorizationToken): every blob the manifest names (config and layers;
for an image index, each listed manifest first) is fetched from the source and uploaded to the
target unless the target already has it (HEAD), then the manifest is put with its exact bytes.
A manifest's digest is the SHA-256 of its bytes, so the target holds the *same digest* the
source package pinned; the copy checks that, and checks every blob's digest on the way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from orchestrator.images.engine import is_loopback_registry
from orchestrator.images.reference import Repository
from orchestrator.images.repository import MANIFEST_MEDIA_TYPES, RegistryLogin, RegistryUnavailable

TIMEOUT_SECONDS = 120
INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


@dataclass(frozen=True)
class Endpoint:
    """One repository and the credentials to reach it."""

    repository: Repository
    login: RegistryLogin

    @property
    def base(self) -> str:
        scheme = "http" if is_loopback_registry(self.repository.host) else "https"
        return f"{scheme}://{self.repository.host}/v2/{self.repository.name}"

    def call(
        self, method: str, url: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, bytes, dict[str, str]]:
        request = urllib.request.Request(url, data=body, method=method)
        token = base64.b64encode(f"{self.login.username}:{self.login.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Accept", ", ".join(MANIFEST_MEDIA_TYPES))
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return 404, b"", {}
            detail = error.read().decode(errors="replace")[:300]
            raise RegistryUnavailable(f"{method} {url}: HTTP {error.code} {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise RegistryUnavailable(
                f"{self.repository.host} could not be reached: {error}"
            ) from None


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _copy_blob(source: Endpoint, target: Endpoint, digest: str) -> bool:
    """Upload ``digest`` to the target unless it has it; True when uploaded."""
    if target.call("HEAD", f"{target.base}/blobs/{digest}")[0] == 200:
        return False
    status, body, _ = source.call("GET", f"{source.base}/blobs/{digest}")
    if status == 404 or _digest(body) != digest:
        raise RegistryUnavailable(
            f"{source.repository.url} does not hold blob {digest} intact; cannot copy the image"
        )
    _, _, headers = target.call("POST", f"{target.base}/blobs/uploads/")
    location = headers.get("Location", "")
    if location.startswith("/"):
        location = target.base.split("/v2/", 1)[0] + location
    joiner = "&" if "?" in location else "?"
    target.call("PUT", f"{location}{joiner}digest={digest}", body, "application/octet-stream")
    return True


def copy_manifest(source: Endpoint, target: Endpoint, digest: str) -> int:
    """Copy the manifest ``digest`` and everything it names; the number of blobs uploaded."""
    status, body, headers = source.call("GET", f"{source.base}/manifests/{digest}")
    if status == 404:
        raise RegistryUnavailable(f"{source.repository.pinned(digest)} does not exist")
    if _digest(body) != digest:
        raise RegistryUnavailable(f"{source.repository.pinned(digest)} answered another manifest")
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    document = json.loads(body)
    uploaded = 0
    if media_type in INDEX_TYPES:
        for child in document.get("manifests", []):
            uploaded += copy_manifest(source, target, str(child["digest"]))
    else:
        blobs = [document["config"]["digest"], *(layer["digest"] for layer in document["layers"])]
        uploaded += sum(_copy_blob(source, target, str(blob)) for blob in blobs)
    _, _, put = target.call("PUT", f"{target.base}/manifests/{digest}", body, media_type)
    stored = put.get("Docker-Content-Digest", digest)
    if stored != digest:
        raise RegistryUnavailable(
            f"{target.repository.url} stored the manifest as {stored}, not {digest}"
        )
    return uploaded


def copy_image(source: Endpoint, target: Endpoint, digest: str, tag: str | None = None) -> str:
    """``<target repository>@<digest>`` after copying the image there (and tagging it ``tag``:
    the lifecycle policy keeps tagged images)."""
    copy_manifest(source, target, digest)
    if tag:
        _, body, headers = target.call("GET", f"{target.base}/manifests/{digest}")
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
        target.call("PUT", f"{target.base}/manifests/{tag}", body, media_type)
    return target.repository.pinned(digest)
