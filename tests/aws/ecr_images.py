"""Images in moto's ECR, put there the way a push leaves them: an OCI manifest whose digest is
the sha256 of its bytes (ECR's rule; moto would otherwise derive a digest of its own), pointing
at a config blob whose digest is the image id an engine reports for the local build."""

from __future__ import annotations

import hashlib
import json
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def blobs_for(seed: str) -> dict[str, bytes]:
    """The config and layer blobs of a made-up image, by digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
    layer = f"layer-{seed}".encode()
    return {"sha256:" + hashlib.sha256(blob).hexdigest(): blob for blob in (config, layer)}


def manifest_for(seed: str) -> tuple[str, str, str]:
    """(manifest JSON, its digest, its config digest) for a made-up image named by ``seed``."""
    (config, config_blob), (layer, layer_blob) = blobs_for(seed).items()
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": len(config_blob),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer,
                "size": len(layer_blob),
            }
        ],
    }
    text = json.dumps(document, separators=(",", ":"))
    return text, "sha256:" + hashlib.sha256(text.encode()).hexdigest(), config


def create_repository(ecr: Any, name: str) -> None:
    """The repository as the registry module creates it: immutable tags."""
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")


def put_image(ecr: Any, repository: str, tag: str, seed: str | None = None) -> str:
    """Push a made-up image under ``tag``; its digest."""
    text, digest, _ = manifest_for(seed or tag)
    ecr.put_image(
        repositoryName=repository,
        imageManifest=text,
        imageManifestMediaType=OCI_MANIFEST,
        imageTag=tag,
        imageDigest=digest,
    )
    return digest


def tags_of(ecr: Any, repository: str, digest: str) -> list[str]:
    found = ecr.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])
    return sorted(found["imageDetails"][0].get("imageTags", []))
