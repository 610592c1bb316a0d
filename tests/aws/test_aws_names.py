"""Names of the Models and EndpointConfigs a deploy creates: SageMaker's rules (botocore's)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from orchestrator.backends.aws.errors import AwsRequestError
from orchestrator.backends.aws.names import stamped_name


def test_a_stamped_name_carries_version_and_time() -> None:
    name = stamped_name("mlops-dev-endpoint", 7, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert re.fullmatch(r"mlops-dev-endpoint-v7-20260102030405-[0-9a-f]{4}", name)


def test_a_prefix_too_long_for_sagemaker_says_how_long_it_may_be() -> None:
    with pytest.raises(AwsRequestError, match=r"at most 63\); shorten .* at most 40 characters"):
        stamped_name("e" * 50, 3)
