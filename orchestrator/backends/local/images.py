"""The local backend's answer to "which image": none. Its jobs run the ``ml_containers``
package of this checkout in subprocesses, so the definition names the repository's image by a
tag that says so (``:local``) and ``--image``, which could not be honoured, is refused."""

from __future__ import annotations

from orchestrator.errors import UserError

LOCAL_TAG = "local"


class LocalImageSource:
    def __init__(self, repository_url: str | None) -> None:
        self._repository_url = repository_url or "local/ml-containers"

    def for_pipeline(self, requested: str | None) -> str:
        if requested is not None:
            raise UserError(
                f"--image {requested!r} cannot be honoured by the local backend: its jobs run "
                "the containers package of this checkout, not an image; drop --image, or use "
                "an aws environment (--env dev) to run a pushed image"
            )
        return f"{self._repository_url}:{LOCAL_TAG}"

    def check_serving(self, image_uri: str) -> None:
        """Local serving runs the package, whatever image the model package names."""
