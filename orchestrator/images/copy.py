"""Copy one image, by digest, from a repository of one registry to a repository of another.

``promote`` puts the exact image a model was evaluated with into the target account's own
repository, so the target's endpoint pulls from its own registry and keeps serving if the source
account goes away. The copy speaks the OCI distribution API, which ECR implements too (with the
basic credentials of GetAuthorizationToken):

- A target that already holds the manifest holds everything it names (a registry accepts a
  manifest only after its blobs), so the copy stops there: a second promotion, or a rerun after
  a failure later on, uploads nothing.
- Otherwise every blob the manifest names (config and layers; for an image index, each listed
  manifest first) is uploaded unless the target has it (HEAD): streamed from the source into a
  temporary file while its SHA-256 is checked, then sent as docker and podman send it (POST, one
  PATCH with the whole blob, PUT with the digest), which ECR and the distribution registry
  both accept. Blobs never sit in memory whole.
- Then the manifest is put *by digest* with its exact bytes (as buildx pushes an index's
  children), so the target holds the same ``sha256:`` digest the source package pinned; the
  copy checks the digest the registry reports. Tags are the caller's business (the target
  stack's protection tag, through its ``ImageSource``), which keeps the copy rerunnable in a
  repository of IMMUTABLE tags.

Credentials go with requests to the registry only, never along a redirect: ECR answers a blob
GET with a redirect to a presigned S3 URL, and S3 refuses a request that carries a second
authorization (urllib otherwise repeats ``Authorization`` on the redirected request).
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO

from orchestrator.images.engine import is_loopback_registry
from orchestrator.images.reference import Repository
from orchestrator.images.repository import MANIFEST_MEDIA_TYPES, RegistryLogin, RegistryUnavailable

TIMEOUT_SECONDS = 120
CHUNK_BYTES = 1 << 20
INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
ACCEPT = ", ".join((*MANIFEST_MEDIA_TYPES, *sorted(INDEX_TYPES)))


@dataclass(frozen=True)
class Endpoint:
    """One repository and the credentials to reach it."""

    repository: Repository
    login: RegistryLogin

    @property
    def base(self) -> str:
        scheme = "http" if is_loopback_registry(self.repository.host) else "https"
        return f"{scheme}://{self.repository.host}/v2/{self.repository.name}"

    def _request(
        self, method: str, url: str, body: bytes | IO[bytes] | None, content_type: str, size: int
    ) -> urllib.request.Request:
        request = urllib.request.Request(url, data=body, method=method)
        token = base64.b64encode(f"{self.login.username}:{self.login.password}".encode()).decode()
        request.add_unredirected_header("Authorization", f"Basic {token}")
        request.add_header("Accept", ACCEPT)
        if content_type:
            request.add_header("Content-Type", content_type)
        if size >= 0:
            request.add_header("Content-Length", str(size))
        return request

    def call(
        self,
        method: str,
        url: str,
        body: bytes | IO[bytes] | None = None,
        content_type: str = "",
        *,
        size: int = -1,
        into: IO[bytes] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        """(status, body, headers); a 404 is answered, not raised. With ``into`` the body is
        streamed there and ``b""`` returned."""
        if isinstance(body, bytes):
            size = len(body)
        request = self._request(method, url, body, content_type, size)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                headers = dict(response.headers.items())
                if into is None:
                    return response.status, response.read(), headers
                while chunk := response.read(CHUNK_BYTES):
                    into.write(chunk)
                return response.status, b"", headers
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return 404, b"", {}
            detail = error.read().decode(errors="replace")[:300]
            raise RegistryUnavailable(f"{method} {url}: HTTP {error.code} {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise RegistryUnavailable(
                f"{self.repository.host} could not be reached: {error}"
            ) from None

    def absolute(self, location: str) -> str:
        """An upload ``Location``, which registries may give relative to the host."""
        return self.base.split("/v2/", 1)[0] + location if location.startswith("/") else location


@dataclass
class CopyReport:
    """What one copy did: the manifests put and the blobs uploaded or found in the target."""

    manifests_copied: int = 0
    manifests_present: int = 0
    blobs_uploaded: int = 0
    blobs_present: int = 0
    bytes_uploaded: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _sha256_of(stream: IO[bytes]) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    stream.seek(0)
    return "sha256:" + digest.hexdigest()


def _upload(target: Endpoint, digest: str, blob: IO[bytes], size: int) -> None:
    """POST, one PATCH with the whole blob, PUT ?digest= (the docker/podman sequence)."""
    _, _, started = target.call("POST", f"{target.base}/blobs/uploads/", b"")
    location = target.absolute(started.get("Location", ""))
    if not location:
        raise RegistryUnavailable(f"{target.repository.url} started an upload without a Location")
    _, _, patched = target.call(
        "PATCH", location, blob, "application/octet-stream", size=size
    )  # fmt: skip
    location = target.absolute(patched.get("Location", "") or location)
    joiner = "&" if "?" in location else "?"
    target.call("PUT", f"{location}{joiner}digest={digest}", b"", "application/octet-stream")


def _copy_blob(source: Endpoint, target: Endpoint, digest: str, report: CopyReport) -> None:
    if target.call("HEAD", f"{target.base}/blobs/{digest}")[0] == 200:
        report.blobs_present += 1
        return
    with tempfile.TemporaryFile(prefix="blob-") as blob:
        status, _, _ = source.call("GET", f"{source.base}/blobs/{digest}", into=blob)
        if status == 404 or _sha256_of(blob) != digest:
            raise RegistryUnavailable(
                f"{source.repository.url} does not hold blob {digest} intact; cannot copy the image"
            )
        size = blob.seek(0, 2)
        blob.seek(0)
        _upload(target, digest, blob, size)
    if target.call("HEAD", f"{target.base}/blobs/{digest}")[0] != 200:
        raise RegistryUnavailable(f"{target.repository.url} did not keep blob {digest}")
    report.blobs_uploaded += 1
    report.bytes_uploaded += size


def _named_blobs(document: dict[str, object]) -> list[str]:
    config = document.get("config")
    layers = document.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise RegistryUnavailable("the manifest names no config and layers; not an image")
    return [str(config["digest"]), *(str(layer["digest"]) for layer in layers)]


def copy_manifest(source: Endpoint, target: Endpoint, digest: str, report: CopyReport) -> None:
    """Copy the manifest ``digest`` and everything it names, unless the target holds it."""
    if target.call("HEAD", f"{target.base}/manifests/{digest}")[0] == 200:
        report.manifests_present += 1
        return
    status, body, headers = source.call("GET", f"{source.base}/manifests/{digest}")
    if status == 404:
        raise RegistryUnavailable(f"{source.repository.pinned(digest)} does not exist")
    if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
        raise RegistryUnavailable(f"{source.repository.pinned(digest)} answered another manifest")
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    document = json.loads(body)
    if media_type in INDEX_TYPES:
        for child in document.get("manifests", []):
            copy_manifest(source, target, str(child["digest"]), report)
    else:
        for blob in _named_blobs(document):
            _copy_blob(source, target, blob, report)
    _, _, put = target.call("PUT", f"{target.base}/manifests/{digest}", body, media_type)
    stored = put.get("Docker-Content-Digest", digest)
    if stored != digest:
        raise RegistryUnavailable(
            f"{target.repository.url} stored the manifest as {stored}, not {digest}"
        )
    report.manifests_copied += 1


def has_manifest(endpoint: Endpoint, digest: str) -> bool:
    """Whether the repository holds the manifest ``digest`` (HEAD; no write)."""
    return endpoint.call("HEAD", f"{endpoint.base}/manifests/{digest}")[0] == 200


def copy_image(source: Endpoint, target: Endpoint, digest: str) -> tuple[str, CopyReport]:
    """(``<target repository>@<digest>``, what was copied) after copying the image there."""
    report = CopyReport()
    copy_manifest(source, target, digest, report)
    return target.repository.pinned(digest), report
