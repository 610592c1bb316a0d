"""Names of the SageMaker resources a deploy or batch transform creates.

Models and endpoint configs must start with ``<endpoint_name>-`` (the stack's orchestrator
policy allows only those), be unique (SageMaker never reuses a name while the resource exists)
and fit SageMaker's 63-character pattern. They carry the model version and a UTC timestamp so a
console listing reads as a deployment history.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from orchestrator.backends.aws.errors import AwsRequestError

MAX_NAME_LENGTH = 63
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def stamped_name(prefix: str, version: int, now: datetime | None = None) -> str:
    """``<prefix>-v<version>-<YYYYmmddHHMMSS>-<4 hex>``, checked against SageMaker's rule."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = f"-v{version}-{moment:%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    name = prefix + suffix
    if len(name) > MAX_NAME_LENGTH or not _NAME.match(name):
        raise AwsRequestError(
            f"cannot name a SageMaker resource after {prefix!r}: {name!r} is not 1-63 letters, "
            f"digits and hyphens; shorten the endpoint name to at most "
            f"{MAX_NAME_LENGTH - len(suffix)} characters in the environment's Terraform settings"
        )
    return name
