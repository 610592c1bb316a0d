"""The image copy ``promote`` uses (orchestrator/images/copy.py) against a source registry that
answers blob GETs as ECR does, with a redirect to a presigned S3 URL, and a real local registry
as the target: the copy follows the redirect without the registry's credentials (S3 refuses a
request carrying a second authorization), keeps the digest, and a second copy uploads nothing."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ecr_images import OCI_MANIFEST, blobs_for, manifest_for
from local_registry import running_registry

from orchestrator.images.copy import Endpoint, copy_image, has_manifest
from orchestrator.images.reference import Repository
from orchestrator.images.repository import RegistryLogin, RegistryUnavailable

pytestmark = pytest.mark.xdist_group("container-image")
LOGIN = RegistryLogin("AWS", "token-of-the-source-account")
AUTH = "Basic " + base64.b64encode(b"AWS:token-of-the-source-account").decode()


class Served:
    """What the two fake servers saw."""

    def __init__(self) -> None:
        self.s3_authorizations: list[str | None] = []
        self.registry_authorizations: list[str | None] = []
        self.s3_port = 0


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


@pytest.fixture
def ecr_like() -> Iterator[tuple[Served, int]]:
    """A registry whose blob GETs redirect to an "S3" that refuses a second authorization."""
    served, (text, digest, _), blobs = Served(), manifest_for("copied"), blobs_for("copied")

    class S3(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.s3_authorizations.append(self.headers.get("Authorization"))
            body = blobs.get(self.path.rsplit("/", 1)[-1].split("?")[0], b"")
            if self.headers.get("Authorization"):
                self.send_response(400)  # InvalidArgument: only one auth mechanism allowed
                body = b"<Error><Code>InvalidArgument</Code></Error>"
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    class Registry(BaseHTTPRequestHandler):
        def answer(self, body: bytes) -> None:
            served.registry_authorizations.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != AUTH:
                self.send_response(401)
                self.end_headers()
                return
            if "/blobs/" in self.path:
                self.send_response(307)
                wanted = self.path.rsplit("/", 1)[-1]
                self.send_header(
                    "Location", f"http://127.0.0.1:{served.s3_port}/layer/{wanted}?X-Amz-Sig=1"
                )
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", OCI_MANIFEST)
            self.send_header("Docker-Content-Digest", digest)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self.answer(text.encode())

        def do_HEAD(self) -> None:
            self.answer(b"")

        def log_message(self, *_: object) -> None:
            pass

    s3, served.s3_port = serve(S3)
    registry, port = serve(Registry)
    try:
        yield served, port
    finally:
        s3.shutdown()
        registry.shutdown()


def test_the_copy_follows_ecrs_blob_redirect_without_credentials_and_keeps_the_digest(
    ecr_like: tuple[Served, int], tmp_path: Path
) -> None:
    served, port = ecr_like
    _, digest, _ = manifest_for("copied")
    source = Endpoint(Repository.parse(f"127.0.0.1:{port}/mlops-dev"), LOGIN)
    with running_registry(tmp_path / "target", "AWS", "token-of-the-target") as registry:
        target = Endpoint(
            Repository.parse(f"{registry.host}/mlops-staging"),
            RegistryLogin(registry.username, registry.password),
        )
        image, report = copy_image(source, target, digest)
        assert image == f"{registry.host}/mlops-staging@{digest}" and has_manifest(target, digest)
        assert (report.manifests_copied, report.blobs_uploaded) == (1, 2)
        assert served.s3_authorizations == [None, None]  # config and layer, no credentials
        assert set(served.registry_authorizations) == {AUTH}
        _, again = copy_image(source, target, digest)
        assert (again.manifests_present, again.blobs_uploaded, again.bytes_uploaded) == (1, 0, 0)


def test_a_target_that_refuses_the_login_fails_the_copy_with_the_registry_named(
    ecr_like: tuple[Served, int], tmp_path: Path
) -> None:
    _, port = ecr_like
    _, digest, _ = manifest_for("copied")
    source = Endpoint(Repository.parse(f"127.0.0.1:{port}/mlops-dev"), LOGIN)
    with running_registry(tmp_path / "target", "AWS", "right") as registry:
        target = Endpoint(
            Repository.parse(f"{registry.host}/mlops-staging"), RegistryLogin("AWS", "wrong")
        )
        with pytest.raises(RegistryUnavailable, match="HTTP 401"):
            copy_image(source, target, digest)
