"""botocore's SageMaker service model, loaded once per process.

AWS ships the API's own lists and rules in it (instance types per kind of job, the patterns
names must match), so settings check values against what SageMaker will accept instead of
against hand-copied lists that drift. Loading takes a third of a second, so it happens on first
use, not on import.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel


@cache
def sagemaker_model() -> ServiceModel:
    """The SageMaker service model of the installed botocore."""
    return botocore.session.get_session().get_service_model("sagemaker")
