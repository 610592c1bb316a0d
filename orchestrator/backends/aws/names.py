"""Names of the SageMaker resources a deploy or batch transform creates.

Models and endpoint configs must start with ``<endpoint_name>-`` (the stack's orchestrator
policy allows only those), be unique (SageMaker never reuses a name while the resource exists)
and fit SageMaker's name rules (botocore's, 63 characters). They carry the model version and a
UTC timestamp so a console listing reads as a deployment history.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from orchestrator.backends.aws.errors import AwsRequestError
from orchestrator.settings.names import name_problem, name_rule

# The same name is given to the Model and its EndpointConfig; SageMaker's rules for the two.
SHAPES = ("ModelName", "EndpointConfigName")


def stamped_name(prefix: str, version: int, now: datetime | None = None) -> str:
    """``<prefix>-v<version>-<YYYYmmddHHMMSS>-<4 hex>``, checked against SageMaker's rule."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = f"-v{version}-{moment:%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    name = prefix + suffix
    problem = next(filter(None, (name_problem(shape, name) for shape in SHAPES)), None)
    if problem:
        longest = min(name_rule(shape)[1] for shape in SHAPES)
        raise AwsRequestError(
            f"cannot name a SageMaker resource after {prefix!r}: {name!r} is refused ({problem}); "
            f"shorten the endpoint name to at most {longest - len(suffix)} characters in the "
            "environment's Terraform settings"
        )
    return name
