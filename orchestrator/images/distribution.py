"""The OCI distribution API (``/v2/<name>/manifests/<reference>``) over plain HTTP(S).

Every registry implements it (ECR too); the orchestrator uses it for registries that are not
ECR, such as a registry on this machine. Loopback registries are spoken to over ``http``, the
rest over ``https``. Basic credentials, when given, go with every request, as registries that
accept ``docker login`` tokens expect.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from email.message import Message

from orchestrator.images.engine import is_loopback_registry
from orchestrator.images.reference import Repository
from orchestrator.images.repository import MANIFEST_MEDIA_TYPES, Manifest, RegistryUnavailable

TIMEOUT_SECONDS = 30


class DistributionRepository:
    """One repository of a registry reached through the distribution API."""

    def __init__(
        self, repository: Repository, username: str | None = None, password: str | None = None
    ) -> None:
        scheme = "http" if is_loopback_registry(repository.host) else "https"
        self._base = f"{scheme}://{repository.host}/v2/{repository.name}/manifests/"
        self._auth = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            if username is not None and password is not None
            else None
        )

    def _request(
        self, method: str, reference: str, body: bytes | None = None, media_type: str = ""
    ) -> tuple[int, bytes, Message]:
        request = urllib.request.Request(self._base + reference, data=body, method=method)
        request.add_header("Accept", ", ".join(MANIFEST_MEDIA_TYPES))
        if media_type:
            request.add_header("Content-Type", media_type)
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return 404, b"", error.headers
            detail = error.read().decode(errors="replace")[:300]
            raise RegistryUnavailable(
                f"{method} {self._base}{reference}: HTTP {error.code} {detail}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            raise RegistryUnavailable(
                f"the registry at {self._base} could not be reached: {error}"
            ) from None

    def digest_of(self, tag: str) -> str | None:
        status, _, headers = self._request("HEAD", tag)
        return None if status == 404 else headers.get("Docker-Content-Digest")

    def manifest(self, digest: str) -> Manifest | None:
        status, body, headers = self._request("GET", digest)
        if status == 404:
            return None
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip()
        return Manifest(headers.get("Docker-Content-Digest") or digest, media_type, body)

    def add_tag(self, digest: str, tag: str) -> None:
        found = self.manifest(digest)
        if found is None:
            raise RegistryUnavailable(f"cannot tag {digest}: the repository has no such image")
        if self.digest_of(tag) == digest:
            return
        self._request("PUT", tag, body=found.body, media_type=found.media_type)
